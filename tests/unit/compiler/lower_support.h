// Helpers for the lowering tests: a stand-in for compiler/resolve covering
// the literal forms the tests use, an IR interpreter with libpcap's
// bpf_filter semantics, crafted packets framed for each link type, and the
// libpcap oracle (pcap_compile + bpf_filter) behind a macro-free interface.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/lower.h"
#include "grammar/ast.h"
#include "ir/ir.h"
#include "sift/bpf.h"

namespace sift::lowertest {

/// Fills `resolved` for literal addresses, numbers, port ranges and a few
/// names (tcp, udp, http, ...), with libpcap's qualifier inheritance for
/// bare ids. Enough for the tests; the real pass is compiler/resolve.
Status standInResolve(ast::Tree& tree);

/// parse + standInResolve + lower.
Expected<ir::Program> lowerText(std::string_view expr, uint32_t dlt, uint32_t netmask = 0);

/// Runs an IR program with bpf_filter semantics (out-of-bounds loads and
/// division by zero return 0).
uint32_t runIr(const ir::Program& p, std::span<const uint8_t> packet, uint32_t wireLength);

/// A crafted packet: a name for messages and the bytes.
struct Packet {
  std::string name;
  std::vector<uint8_t> bytes;
};

/// Packets framed for `dlt`: IPv4/IPv6 TCP, UDP, SCTP, ICMP, ICMPv6, IGMP,
/// fragments, IPv6 fragment and hop-by-hop headers, ARP, RARP, broadcast
/// and multicast destinations, and (where the link has them) 802.3/LLC and
/// other link-level protocol values.
std::vector<Packet> craftedPackets(uint32_t dlt);

/// libpcap's verdicts through pcap_compile(optimize, netmask) + bpf_filter.
struct OracleResult {
  bool ok = false;
  std::string error;
  std::vector<bpf::Insn> insns;
};
OracleResult oracleCompile(std::string_view expr, uint32_t dlt, uint32_t snaplen, bool optimize,
                           uint32_t netmask);
uint32_t oracleRun(const std::vector<bpf::Insn>& prog, std::span<const uint8_t> packet, uint32_t wireLength);

}  // namespace sift::lowertest
