// Capture files: pcap and pcapng readers and atomic pcap and pcapng writers.
//
// Readers never crash on damaged input: a file is read as far as it is
// valid, then next() returns a Diagnostic that says what is wrong and at
// which byte offset.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "sift/diagnostics.h"

namespace sift::capture {

struct PacketHeader {
  int64_t seconds = 0;        // time stamp, seconds since the epoch
  uint32_t nanoseconds = 0;   // fraction, always in nanoseconds
  uint32_t captureLength = 0; // bytes present in data
  uint32_t wireLength = 0;    // original length on the wire
  uint32_t linktype = 0;      // DLT of the interface this packet came from
  uint32_t interfaceId = 0;   // pcapng interface index; 0 for pcap
};

struct Packet {
  PacketHeader header;
  std::span<const uint8_t> data;  // valid until the next call to next()
};

enum class FileFormat : uint8_t { Pcap, PcapNg };

class Reader {
 public:
  virtual ~Reader() = default;
  virtual FileFormat format() const = 0;
  /// Link type (a DLT number) of the first interface (pcap: the file header's).
  virtual uint32_t linktype() const = 0;
  virtual uint32_t snaplen() const = 0;
  /// Reads the next packet into `out`. Returns true on a packet, false at a
  /// clean end of file, or a Diagnostic for damaged or unreadable input.
  virtual Expected<bool> next(Packet& out) = 0;
};

/// Opens a pcap (either byte order, micro- or nanosecond) or pcapng file,
/// chosen by its magic number.
Expected<std::unique_ptr<Reader>> openFile(const std::string& path);
/// The same over bytes in memory (the bytes must outlive the reader).
Expected<std::unique_ptr<Reader>> openMemory(std::span<const uint8_t> bytes, std::string name = "<memory>");

/// Writes a pcap file atomically: packets go to a temporary file beside
/// `path`, which commit() renames into place. A writer destroyed without
/// commit() removes the temporary, so `path` is complete or untouched.
class PcapWriter {
 public:
  static Expected<std::unique_ptr<PcapWriter>> create(const std::string& path, uint32_t linktype,
                                                      uint32_t snaplen, bool nanosecond = false);
  ~PcapWriter();
  /// Writes one record: data cut to the snapshot length; header.wireLength,
  /// or data.size() when that is 0. Time stamps must fit 32-bit seconds.
  Status write(const PacketHeader& header, std::span<const uint8_t> data);
  /// Flushes, syncs and renames the file into place; once only.
  Status commit();

 private:
  PcapWriter() = default;
  struct State;
  std::unique_ptr<State> state_;
};

/// Writes a pcapng file atomically, like PcapWriter: one section header, an
/// interface description block per interface (nanosecond time stamps), and
/// an enhanced packet block per packet, on the interface named by
/// header.interfaceId.
class PcapNgWriter {
 public:
  /// Creates the writer with interface 0 of the given link type (a DLT).
  static Expected<std::unique_ptr<PcapNgWriter>> create(const std::string& path, uint32_t linktype,
                                                        uint32_t snaplen);
  ~PcapNgWriter();
  /// Adds an interface and returns its id (1, 2, ...).
  Expected<uint32_t> addInterface(uint32_t linktype, uint32_t snaplen);
  Status write(const PacketHeader& header, std::span<const uint8_t> data);
  Status commit();

 private:
  PcapNgWriter() = default;
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace sift::capture
