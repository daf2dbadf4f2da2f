// `sift -i IFACE [-c COUNT] [-s SNAPLEN] [-p] [-w FILE] [-n] [--] EXPRESSION`
// and `sift -D`: live capture and the interface list (cli/live_cmd.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "cli/summary.h"

namespace sift::cli {

/// What a live capture was asked to do, as the command line spelled it.
struct LiveCommand {
  std::string interface;                 // -i NAME, or "any"
  std::optional<uint64_t> count;         // -c: stop after this many packets
  uint32_t snaplen = 262144;             // -s (0 already mapped to 262144)
  bool promiscuous = true;               // -p turns it off, as in tcpdump
  std::optional<std::string> writeFile;  // -w: an atomic pcap file
  std::string expression;                // the filter, possibly empty
  int optimizeLevel = 1;                 // -O
  bool allowJit = true;                  // userspace fallback may use the JIT
  TimestampStyle timestamps = TimestampStyle::TimeOfDay;
  std::optional<std::string> backend;    // "native", "system" or a libpcap path
};

/// Captures until COUNT packets, SIGINT/SIGTERM, or an error. Prints one
/// summary line per packet on stdout (or writes them with -w), and the
/// counts on stderr at the end, as tcpdump does. Returns the exit status.
int runLive(const LiveCommand& command);

/// `sift -D`: the interfaces a capture can use, numbered as tcpdump -D.
int runListInterfaces(const std::optional<std::string>& backend = std::nullopt);

}  // namespace sift::cli
