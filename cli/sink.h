// Where `sift -w` puts the matching packets: an atomic pcap file, or an
// atomic pcapng file when the name ends in ".pcapng" (which, unlike pcap,
// can hold packets of several link types). Nothing appears at the path
// until commit() succeeds.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "sift/capture.h"
#include "sift/diagnostics.h"

namespace sift::cli {

class PacketSink {
 public:
  virtual ~PacketSink() = default;
  virtual Status write(const capture::PacketHeader& header, std::span<const uint8_t> data) = 0;
  virtual Status commit() = 0;
};

Expected<std::unique_ptr<PacketSink>> createSink(const std::string& path, uint32_t linktype, uint32_t snaplen);

}  // namespace sift::cli
