// The oracle: the installed libpcap, behind a small interface so that its
// macros (BPF_LD, ...) never meet sift's headers. Compiles expressions the
// way tcpdump does, runs programs with libpcap's bpf_filter, checks them
// with bpf_validate and reads capture files with pcap_open_offline.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sift/bpf.h"

namespace sift::difftest {

struct OracleProgram {
  bool ok = false;
  std::string error;             // pcap_geterr() text when !ok
  std::vector<bpf::Insn> insns;  // the program when ok
};

/// pcap_open_dead(linktype, snaplen) + pcap_compile(expr, optimize, netmask 0).
OracleProgram oracleCompile(std::string_view expression, uint32_t linktype, uint32_t snaplen, bool optimize);

/// libpcap's bpf_filter over `caplen` captured bytes of a `wirelen` packet.
uint32_t oracleRun(const std::vector<bpf::Insn>& program, const uint8_t* data, uint32_t caplen,
                   uint32_t wirelen);

/// libpcap's bpf_validate (what pcap_setfilter requires of a program).
bool oracleValidate(const std::vector<bpf::Insn>& program);

struct CapturedPacket {
  std::vector<uint8_t> data;
  uint32_t wireLength = 0;
};

struct CaptureFile {
  bool opened = false;
  std::string error;      // why opening or reading stopped early, if it did
  uint32_t linktype = 0;  // pcap_datalink(): a DLT_ value
  std::vector<CapturedPacket> packets;
};

/// Every packet libpcap delivers from `path`, as pcap_next_ex gives them.
CaptureFile oracleReadFile(const std::string& path);

/// pcap_lib_version().
std::string oracleVersion();

}  // namespace sift::difftest
