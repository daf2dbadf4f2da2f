// Live capture: packets from a network interface, filtered in the kernel.
//
//   sift::live::OpenOptions o;
//   o.interface = "eth0";
//   o.filter = "tcp port 80";
//   auto src = sift::live::open(o);
//   if (!src) { std::cerr << sift::render(src.error()); return; }
//   for (const auto& w : (*src)->warnings()) std::cerr << "warning: " << w << '\n';
//   sift::live::LivePacket p;
//   while (true) {
//     auto r = (*src)->next(p);
//     if (!r || *r == sift::live::NextStatus::Stopped) break;
//     if (*r == sift::live::NextStatus::Packet) use(p);
//   }
//
// Two backends sit behind one interface:
//
// - Native (Linux): an AF_PACKET socket with a TPACKET_V3 memory-mapped ring.
//   sift compiles the filter for the interface's link type with the Linux
//   ancillary loads allowed, validates it with the kernel profile and
//   attaches it with SO_ATTACH_FILTER before the socket is bound to any
//   protocol, so no packet that fails the filter can reach the ring. When
//   the kernel refuses the program (too long, an extension it lacks, not
//   enough option memory) the packets are filtered in userspace instead,
//   by the JIT when this build has one and by the interpreter otherwise, and
//   warnings() says so once.
// - System: a libpcap loaded at run time with dlopen (never linked). sift's
//   own program is installed with that library's pcap_setfilter.
//
// Which backend: OpenOptions::backend (the API) overrides the environment
// variable SIFT_LIBPCAP, which overrides the `libpcap = ...` line of the
// configuration file sift.cfg; see docs/capture-live.md.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sift/bpf.h"
#include "sift/capture.h"
#include "sift/compile.h"
#include "sift/diagnostics.h"

namespace sift::live {

/// The backend that does the capturing.
enum class BackendKind : uint8_t {
  Native,  // AF_PACKET + TPACKET_V3 (Linux)
  System,  // a libpcap loaded at run time
};

/// A backend request as the API, the environment or sift.cfg spells it:
/// "native", "system" (the system's libpcap.so.0.8 / libpcap.so.1 /
/// libpcap.so) or a path to a libpcap shared object.
struct BackendChoice {
  BackendKind kind = BackendKind::Native;
  std::string libraryPath;  // System only; empty: the system's default names
  /// Parses "native", "system" or a path (anything containing '/').
  static Expected<BackendChoice> parse(std::string_view text);
};

/// Where a resolved backend choice came from.
enum class ChoiceSource : uint8_t { Default, ConfigFile, Environment, Api };

struct ResolvedBackend {
  BackendChoice choice;
  ChoiceSource source = ChoiceSource::Default;
  std::string origin;  // "SIFT_LIBPCAP", the configuration file's path, ...
};

/// The configuration file in force: the first of $SIFT_CONFIG, ./sift.cfg,
/// $XDG_CONFIG_HOME/sift/sift.cfg (or ~/.config/sift/sift.cfg when
/// XDG_CONFIG_HOME is unset) and /etc/sift.cfg that exists.
std::optional<std::string> findConfigFile();

/// Applies the precedence API > SIFT_LIBPCAP > sift.cfg > native. A bad
/// value anywhere is an error that names where it came from.
Expected<ResolvedBackend> resolveBackend(const std::optional<BackendChoice>& api);

struct OpenOptions {
  /// An interface name, or "any" (or empty) for every interface.
  std::string interface = "any";
  /// Bytes kept of each packet (also the value a matching filter returns).
  uint32_t snaplen = 262144;
  /// Put the interface in promiscuous mode (ignored for "any").
  bool promiscuous = false;
  /// A filter expression; empty with no `program` captures everything.
  std::string filter;
  /// A ready program instead of an expression (a ValidatedProgram's
  /// program() will do). It must suit the link type the interface has; it
  /// is validated again, with the kernel profile for the kernel and the
  /// libpcap profile for userspace.
  std::optional<bpf::Program> program;
  /// Options for compiling `filter` (linktype and liveLinuxSocket are set
  /// by the capture layer).
  int optimizeLevel = 1;
  uint32_t netmask = 0;
  const NameResolver* resolver = nullptr;
  /// The backend; absent: SIFT_LIBPCAP, then sift.cfg, then native.
  std::optional<BackendChoice> backend;
  /// Ring size in bytes (native: rounded to whole 1 MiB blocks; system:
  /// pcap_set_buffer_size).
  uint32_t ringBytes = 8u << 20;
  /// Native only: filter in userspace even if the kernel would take the
  /// program (for tests and for comparing engines).
  bool forceUserspaceFilter = false;
  /// Use the JIT for userspace filtering when available.
  bool allowJit = true;
};

/// One captured packet. `data` stays valid until the next call to next().
struct LivePacket {
  capture::PacketHeader header;  // time stamp, lengths, linktype
  std::span<const uint8_t> data;
  int32_t ifindex = 0;           // the interface it was seen on (native only)
  uint8_t direction = 0;         // Linux PACKET_HOST, PACKET_OUTGOING, ... (native only)
};

struct Stats {
  uint64_t received = 0;  // packets that passed the filter (kernel or userspace)
  uint64_t dropped = 0;   // packets the kernel dropped for lack of ring space
  uint64_t ifDropped = 0; // drops reported by the interface (system backend)
};

enum class NextStatus : uint8_t {
  Packet,   // `out` holds a packet
  Timeout,  // nothing arrived within the timeout
  Stopped,  // stop() was called
};

/// Where the filter runs.
enum class FilterPlace : uint8_t { None, Kernel, UserspaceVm, UserspaceJit, Library };

class Source {
 public:
  virtual ~Source() = default;
  /// The link type of the packets (a DLT).
  virtual uint32_t linktype() const = 0;
  virtual uint32_t snaplen() const = 0;
  virtual BackendKind backend() const = 0;
  virtual FilterPlace filterPlace() const = 0;
  /// The program in force (empty when capturing everything).
  virtual const bpf::Program& program() const = 0;
  /// Waits up to `timeoutMs` (negative: forever) for a packet.
  virtual Expected<NextStatus> next(LivePacket& out, int timeoutMs = -1) = 0;
  /// Counts since open. Cumulative, unlike PACKET_STATISTICS.
  virtual Expected<Stats> stats() = 0;
  /// Makes next() return Stopped. Safe to call from a signal handler or
  /// another thread (it only sets a flag and writes to an eventfd).
  virtual void stop() noexcept = 0;
  /// Messages the caller should print once, e.g. that the kernel refused
  /// the program and packets are filtered in userspace.
  const std::vector<std::string>& warnings() const { return warnings_; }

 protected:
  std::vector<std::string> warnings_;
};

/// Opens a live source. Errors say which interface, which privilege or
/// which library is missing.
Expected<std::unique_ptr<Source>> open(const OpenOptions& options);

struct InterfaceInfo {
  std::string name;
  std::string description;
  int32_t index = 0;  // 0 for "any"
  bool up = false;
  bool running = false;
  bool loopback = false;
};

/// The interfaces a capture can be opened on, "any" included, in the
/// order `sift -D` prints them.
Expected<std::vector<InterfaceInfo>> listInterfaces(const std::optional<BackendChoice>& backend = {});

/// The DLT the native backend delivers for a Linux ARPHRD_ type, or
/// absent when it captures such interfaces in cooked mode (LINUX_SLL).
std::optional<uint32_t> linktypeForArphrd(uint16_t arphrd);

}  // namespace sift::live
