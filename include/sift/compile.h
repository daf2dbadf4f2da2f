// Compiling pcap-filter expressions to classic BPF.
//
//   sift::CompileOptions opts;            // DLT_EN10MB, snaplen 262144, -O1
//   auto prog = sift::compile("tcp port 80", opts);
//   if (!prog) std::cerr << sift::render(prog.error(), "tcp port 80");
//
// A compile runs entirely inside its own context: no global state, so
// compiles on different threads never interfere.
#pragma once

#include <array>
#include <functional>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sift/bpf.h"
#include "sift/diagnostics.h"

namespace sift {

/// Looks up the names an expression may contain. The system resolver reads
/// /etc/services, /etc/protocols, /etc/networks, /etc/ethers and asks
/// getaddrinfo for host names; tests inject a FixedResolver instead.
class NameResolver {
 public:
  virtual ~NameResolver() = default;
  /// IPv4 addresses of a host name, in host byte order (10.0.0.1 == 0x0a000001).
  virtual std::vector<uint32_t> hostV4(std::string_view name) const = 0;
  /// IPv6 addresses of a host name, network byte order.
  virtual std::vector<std::array<uint8_t, 16>> hostV6(std::string_view name) const = 0;
  /// The port a service name has for tcp, udp and sctp (absent if none).
  struct Service {
    std::optional<uint16_t> tcp, udp, sctp;
  };
  virtual Service service(std::string_view name) const = 0;
  /// An IP protocol number from /etc/protocols.
  virtual std::optional<uint8_t> protocol(std::string_view name) const = 0;
  /// A network number from /etc/networks, host byte order, left-justified
  /// as libpcap does.
  virtual std::optional<uint32_t> network(std::string_view name) const = 0;
  /// A MAC address from /etc/ethers.
  virtual std::optional<std::array<uint8_t, 6>> ether(std::string_view name) const = 0;
};

/// The resolver backed by the system databases and getaddrinfo.
std::unique_ptr<NameResolver> makeSystemResolver();

/// A resolver with fixed tables, for tests and reproducible builds.
class FixedResolver final : public NameResolver {
 public:
  struct HostEntry {
    std::string name;
    std::vector<uint32_t> v4;
    std::vector<std::array<uint8_t, 16>> v6;
  };
  struct ServiceEntry {
    std::string name;
    Service ports;
  };
  std::vector<HostEntry> hosts;
  std::vector<ServiceEntry> services;
  std::vector<std::pair<std::string, uint8_t>> protocols;
  std::vector<std::pair<std::string, uint32_t>> networks;
  std::vector<std::pair<std::string, std::array<uint8_t, 6>>> ethers;

  /// A resolver with the standard protocol and service tables sift's tests
  /// rely on (tcp/udp/icmp..., http/domain/ssh/...), no hosts.
  static FixedResolver standard();

  std::vector<uint32_t> hostV4(std::string_view name) const override;
  std::vector<std::array<uint8_t, 16>> hostV6(std::string_view name) const override;
  Service service(std::string_view name) const override;
  std::optional<uint8_t> protocol(std::string_view name) const override;
  std::optional<uint32_t> network(std::string_view name) const override;
  std::optional<std::array<uint8_t, 6>> ether(std::string_view name) const override;
};

/// Optional observers of one compile: what --print-after, --print-after-all
/// and --stats show.
struct CompileTrace {
  /// Pass names after which to print the IR; "all" prints after every pass.
  /// "lower" names the program as lowering left it.
  std::vector<std::string> printAfter;
  std::function<void(std::string_view pass, std::string_view irText)> onPrint;
  bool collectStats = false;
  struct PassStat {
    std::string pass;
    size_t runs = 0, blocksRemoved = 0, insnsRemoved = 0;
  };
  std::vector<PassStat> stats;  // filled when collectStats is set
};

struct CompileOptions {
  uint32_t linktype = 1;        // DLT_EN10MB
  uint32_t snaplen = 262144;    // the value a matching packet returns
  int optimizeLevel = 1;        // 0: none, 1: size first (default), 2: speed
  uint32_t netmask = 0;         // for 'ip broadcast'; 0 as tcpdump passes
  bool liveLinuxSocket = false; // allow Linux ancillary loads (live capture only)
  const NameResolver* resolver = nullptr;  // null: the system resolver
  CompileTrace* trace = nullptr;           // null: no observers
};

/// Compiles `expression` for `options.linktype`. Errors carry a span into
/// `expression`; render them with sift::render(diag, expression).
Expected<bpf::Program> compile(std::string_view expression, const CompileOptions& options);

/// The control-flow graph of any program as Graphviz text (--dot).
Expected<std::string> programDot(const bpf::Program& program);

/// The optimizer's pass names at `level`, in the order they run.
std::vector<std::string> optimizerPasses(int level);

}  // namespace sift
