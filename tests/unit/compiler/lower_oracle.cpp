// The libpcap oracle for the lowering tests, kept in its own file so that
// pcap's BPF_* macros never meet sift's headers.
#include <pcap/pcap.h>

#include <mutex>

#include "lower_support.h"

namespace sift::lowertest {

OracleResult oracleCompile(std::string_view expr, uint32_t dlt, uint32_t snaplen, bool optimize,
                           uint32_t netmask) {
  // pcap_compile is thread-safe since 1.8, but keep the tests simple.
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  OracleResult r;
  pcap_t* p = pcap_open_dead(static_cast<int>(dlt), static_cast<int>(snaplen));
  if (!p) {
    r.error = "pcap_open_dead failed";
    return r;
  }
  std::string text(expr);
  struct bpf_program prog;
  if (pcap_compile(p, &prog, text.c_str(), optimize ? 1 : 0, netmask) < 0) {
    r.error = pcap_geterr(p);
  } else {
    r.ok = true;
    for (u_int i = 0; i < prog.bf_len; ++i) {
      const struct bpf_insn& in = prog.bf_insns[i];
      r.insns.push_back(bpf::Insn{in.code, in.jt, in.jf, in.k});
    }
    pcap_freecode(&prog);
  }
  pcap_close(p);
  return r;
}

uint32_t oracleRun(const std::vector<bpf::Insn>& prog, std::span<const uint8_t> packet, uint32_t wireLength) {
  std::vector<struct bpf_insn> insns(prog.size());
  for (size_t i = 0; i < prog.size(); ++i) {
    insns[i].code = prog[i].code;
    insns[i].jt = prog[i].jt;
    insns[i].jf = prog[i].jf;
    insns[i].k = prog[i].k;
  }
  return bpf_filter(insns.data(), packet.data(), wireLength, static_cast<u_int>(packet.size()));
}

}  // namespace sift::lowertest
