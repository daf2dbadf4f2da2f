// libpcap's bpf_filter and bpf_validate behind a sift-typed interface, so
// pcap's BPF_* macros stay in pcap_oracle.cpp. Built only when libpcap is
// installed (SIFT_HAVE_LIBPCAP).
#pragma once

#include <cstdint>
#include <vector>

#include "sift/bpf.h"

namespace sift::jittest {

/// libpcap's bpf_filter over `capturedLength` bytes of a `wireLength` packet.
uint32_t pcapFilter(const std::vector<bpf::Insn>& program, const uint8_t* packet,
                    uint32_t capturedLength, uint32_t wireLength);

/// libpcap's bpf_validate.
bool pcapValidate(const std::vector<bpf::Insn>& program);

}  // namespace sift::jittest
