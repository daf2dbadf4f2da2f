// The libpcap side of the differential tests (see oracle.h).
#include "oracle.h"

#include <pcap/pcap.h>

#include <cstddef>
#include <mutex>

namespace sift::difftest {
namespace {

static_assert(sizeof(bpf::Insn) == sizeof(struct bpf_insn));
static_assert(offsetof(bpf::Insn, code) == offsetof(struct bpf_insn, code));
static_assert(offsetof(bpf::Insn, jt) == offsetof(struct bpf_insn, jt));
static_assert(offsetof(bpf::Insn, jf) == offsetof(struct bpf_insn, jf));
static_assert(offsetof(bpf::Insn, k) == offsetof(struct bpf_insn, k));

const struct bpf_insn* asPcap(const std::vector<bpf::Insn>& program) {
  return reinterpret_cast<const struct bpf_insn*>(program.data());
}

// libpcap's name lookups go through the C library's databases; one compile
// at a time keeps the oracle out of any question of reentrancy.
std::mutex& compileMutex() {
  static std::mutex m;
  return m;
}

}  // namespace

OracleProgram oracleCompile(std::string_view expression, uint32_t linktype, uint32_t snaplen, bool optimize) {
  OracleProgram out;
  std::string text(expression);
  std::lock_guard<std::mutex> lock(compileMutex());
  pcap_t* handle = pcap_open_dead(static_cast<int>(linktype), static_cast<int>(snaplen));
  if (!handle) {
    out.error = "pcap_open_dead failed";
    return out;
  }
  struct bpf_program program;
  if (pcap_compile(handle, &program, text.c_str(), optimize ? 1 : 0, 0) != 0) {
    out.error = pcap_geterr(handle);
  } else {
    out.ok = true;
    out.insns.resize(program.bf_len);
    for (u_int i = 0; i < program.bf_len; ++i) {
      const struct bpf_insn& in = program.bf_insns[i];
      out.insns[i] = bpf::Insn{in.code, in.jt, in.jf, in.k};
    }
    pcap_freecode(&program);
  }
  pcap_close(handle);
  return out;
}

uint32_t oracleRun(const std::vector<bpf::Insn>& program, const uint8_t* data, uint32_t caplen,
                   uint32_t wirelen) {
  return bpf_filter(asPcap(program), data, wirelen, caplen);
}

bool oracleValidate(const std::vector<bpf::Insn>& program) {
  return bpf_validate(asPcap(program), static_cast<int>(program.size())) != 0;
}

CaptureFile oracleReadFile(const std::string& path) {
  CaptureFile out;
  char errbuf[PCAP_ERRBUF_SIZE] = {0};
  pcap_t* handle = pcap_open_offline(path.c_str(), errbuf);
  if (!handle) {
    out.error = errbuf;
    return out;
  }
  out.opened = true;
  out.linktype = static_cast<uint32_t>(pcap_datalink(handle));
  for (;;) {
    struct pcap_pkthdr* header = nullptr;
    const u_char* data = nullptr;
    int rc = pcap_next_ex(handle, &header, &data);
    if (rc == 1) {
      CapturedPacket p;
      p.data.assign(data, data + header->caplen);
      p.wireLength = header->len;
      out.packets.push_back(std::move(p));
      continue;
    }
    if (rc == PCAP_ERROR) out.error = pcap_geterr(handle);
    break;
  }
  pcap_close(handle);
  return out;
}

std::string oracleVersion() { return pcap_lib_version(); }

}  // namespace sift::difftest
