// libpcap's interpreter and validator for the JIT's differential tests.
#include "pcap_oracle.h"

#include <pcap/pcap.h>

namespace sift::jittest {

static_assert(sizeof(bpf::Insn) == sizeof(struct bpf_insn), "Insn is laid out like bpf_insn");

uint32_t pcapFilter(const std::vector<bpf::Insn>& program, const uint8_t* packet,
                    uint32_t capturedLength, uint32_t wireLength) {
  static const uint8_t empty[1] = {0};
  return bpf_filter(reinterpret_cast<const struct bpf_insn*>(program.data()),
                    packet ? packet : empty, wireLength, capturedLength);
}

bool pcapValidate(const std::vector<bpf::Insn>& program) {
  return bpf_validate(reinterpret_cast<const struct bpf_insn*>(program.data()),
                      static_cast<int>(program.size())) != 0;
}

}  // namespace sift::jittest
