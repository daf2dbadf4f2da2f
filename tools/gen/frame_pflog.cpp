// PFLOG frames: OpenBSD pf's log header, then the logged IPv4 or IPv6
// packet. The header's length byte varies (the usual 61, the full 64,
// shorter and longer ones, which move the packet), and so do the address
// family, action, reason, interface and ruleset names, rule numbers and
// direction, from pools the corpus uses.
#include <string>
#include <vector>

#include "link_frames.h"

namespace sift::gen::detail {

namespace {

void putName(Bytes& b, const std::string& name) {
  for (size_t i = 0; i < 16; ++i) put8(b, i < name.size() ? static_cast<uint8_t>(name[i]) : 0);
}

}  // namespace

Bytes framePflog(Rng& rng) {
  static const std::vector<std::string> ifnames = {"em0",  "em1",    "pflog0", "lo0", "em0.1", "vio0",
                                                   "eth0", "abcdefghijklmno", "e",  ""};
  static const std::vector<std::string> rulesets = {"", "", "main", "foo", "foo/bar", "abcdefghijklmno"};
  static const std::vector<uint32_t> ruleNumbers = {0, 1, 2, 3, 5, 7, 100, 70000, 0xffffffff};
  static const std::vector<uint8_t> lengths = {61, 61, 61, 64, 60, 48, 68, 72, 0, 3, 255};

  const uint32_t family = rng.below(100);
  const bool v6 = family >= 55 && family < 90;
  Bytes b;
  const uint8_t length = rng.chance(85) ? rng.pick(lengths) : rng.byte();
  put8(b, length);
  put8(b, family < 55 ? 2 : family < 90 ? 10 : rng.pick(std::vector<uint8_t>{0, 1, 24, 28, 30}));
  put8(b, rng.chance(90) ? rng.below(11) : rng.byte());  // action
  put8(b, rng.chance(90) ? rng.below(15) : rng.byte());  // reason
  putName(b, rng.pick(ifnames));
  putName(b, rng.pick(rulesets));
  put32(b, rng.chance(85) ? rng.pick(ruleNumbers) : rng.u32());  // rule number
  put32(b, rng.chance(85) ? rng.pick(ruleNumbers) : rng.u32());  // subrule number
  put32(b, rng.u32() & 0xffff);                                  // uid
  put32(b, rng.u32() & 0xffff);                                  // pid
  put32(b, rng.u32() & 0xffff);                                  // rule uid
  put32(b, rng.u32() & 0xffff);                                  // rule pid
  put8(b, rng.chance(90) ? rng.below(3) : rng.byte());           // direction
  put8(b, 0);
  put8(b, 0);
  put8(b, 0);
  // The packet starts where the length byte, rounded up to 4, says.
  const size_t start = (static_cast<size_t>(length) + 3) & ~size_t{3};
  if (start < b.size()) {
    b.resize(start);
  } else {
    while (b.size() < start) put8(b, rng.byte());
  }
  append(b, family < 90 ? makeIpPacket(rng, v6) : makeOtherPacket(rng));
  return b;
}

}  // namespace sift::gen::detail
