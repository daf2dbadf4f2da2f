// The text readers and the validator on random and mutated input: they
// must return a value or an error, never crash (run under the sanitizer
// build to catch memory errors).
#include <doctest/doctest.h>

#include <random>

#include "bpf/asm.h"
#include "bpf/image_reader.h"
#include "sift/bpf.h"

using namespace sift::bpf;

namespace {

std::string mutate(std::string s, std::mt19937& rng) {
  static const char kAlphabet[] = "0123456789abcdefx#[]()+*&%:,;-M\n\t jtf";
  int edits = 1 + static_cast<int>(rng() % 4);
  for (int e = 0; e < edits && !s.empty(); ++e) {
    size_t at = rng() % s.size();
    switch (rng() % 3) {
      case 0:
        s[at] = kAlphabet[rng() % (sizeof kAlphabet - 1)];
        break;
      case 1:
        s.erase(at, 1 + rng() % 3);
        break;
      default:
        s.insert(at, 1, kAlphabet[rng() % (sizeof kAlphabet - 1)]);
        break;
    }
  }
  return s;
}

}  // namespace

TEST_CASE("readers survive mutated input") {
  Program seed{{{0x28, 0, 0, 12},
                {0x15, 0, 3, 0x800},
                {0x30, 0, 0, 23},
                {0x15, 0, 1, 6},
                {0x05, 0, 0, 0},
                {0xb1, 0, 0, 14},
                {0x48, 0, 0, 2},
                {0x02, 0, 0, 3},
                {0x06, 0, 0, 0xffffffffu},
                {0x06, 0, 0, 0}}};
  const std::string texts[] = {listing(seed, ListingFormat::Image), listing(seed, ListingFormat::Decimal),
                               bytecode(seed), *disassemble(seed)};
  std::mt19937 rng(31337);
  size_t parsed = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string t = mutate(texts[i % 4], rng);
    for (auto result : {parseImage(t), parseDecimal(t), assemble(t)}) {
      if (!result.ok()) {
        CHECK_FALSE(result.error().message.empty());
        continue;
      }
      ++parsed;
      ValidationError why;
      (void)validate(*result, Profile::Libpcap, &why);
      (void)validate(*result, Profile::Kernel, &why);
      (void)listing(*result, ListingFormat::Image);
      (void)disassemble(*result);
    }
  }
  CHECK(parsed > 0);
}

TEST_CASE("the validator survives random programs") {
  std::mt19937 rng(4242);
  for (int i = 0; i < 20000; ++i) {
    Program p;
    size_t n = rng() % 12;
    for (size_t j = 0; j < n; ++j) {
      uint32_t r = rng();
      p.insns.push_back(Insn{static_cast<uint16_t>(rng() % 2 ? r & 0xff : r & 0xffff),
                             static_cast<uint8_t>(rng() % 8), static_cast<uint8_t>(rng() % 8),
                             static_cast<uint32_t>(rng() % 3 ? rng() % 20 : rng())});
    }
    ValidationError why;
    for (Profile pr : {Profile::Libpcap, Profile::Kernel}) {
      bool ok = validate(p, pr, &why);
      CHECK(ok == validate(p, pr).ok());
      if (!ok)
        CHECK(why.message.rfind(why.pc == 0 && (p.insns.empty() || p.insns.size() > 4096) ? "program" : "pc ",
                                0) == 0);
    }
  }
}
