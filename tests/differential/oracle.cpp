// The libpcap side of the differential tests (see oracle.h).
#include "oracle.h"

#include <pcap/pcap.h>

#include <cstddef>
#include <cstring>
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

namespace {

// libpcap 1.10.3's bpf_filter leaves the scratch cells uninitialised, so a
// program that reads a cell some path has not written (libpcap emits such
// programs, e.g. `geneve or ip`, whose `ip` reads the Geneve offset cell
// on paths without Geneve) returns whatever the stack held: a different
// verdict under ASan than in a release build. sift's VM, the kernel and
// libpcap master start with every cell 0. So a program that reads scratch
// runs with stores of 0 into all 16 cells in front of it; relative jumps
// are unchanged and A starts at 0 either way, so the verdict is that of
// libpcap with zeroed memory, deterministically.
bool readsScratch(const std::vector<bpf::Insn>& program) {
  for (const bpf::Insn& in : program)
    if (in.code == 0x60 || in.code == 0x61) return true;  // ld M[k], ldx M[k]
  return false;
}

struct ZeroedRunnable {
  std::vector<bpf::Insn> original;
  std::vector<bpf::Insn> runnable;  // the prologue, then the program
  bool prologue = false;
};

const ZeroedRunnable& runnableFor(const std::vector<bpf::Insn>& program) {
  thread_local ZeroedRunnable cache;
  if (cache.original.size() == program.size() &&
      (program.empty() || std::memcmp(cache.original.data(), program.data(), program.size() * sizeof(bpf::Insn)) == 0))
    return cache;
  cache.original = program;
  cache.prologue = readsScratch(program);
  cache.runnable.clear();
  if (cache.prologue) {
    cache.runnable.push_back(bpf::Insn{0x00, 0, 0, 0});  // ld #0
    for (uint32_t cell = 0; cell < 16; ++cell) cache.runnable.push_back(bpf::Insn{0x02, 0, 0, cell});  // st M[cell]
    cache.runnable.insert(cache.runnable.end(), program.begin(), program.end());
  }
  return cache;
}

}  // namespace

uint32_t oracleRun(const std::vector<bpf::Insn>& program, const uint8_t* data, uint32_t caplen,
                   uint32_t wirelen) {
  const ZeroedRunnable& r = runnableFor(program);
  return bpf_filter(asPcap(r.prologue ? r.runnable : program), data, wirelen, caplen);
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
