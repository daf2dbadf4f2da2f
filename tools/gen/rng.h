// The packet generator's random numbers: splitmix64, so that the same
// seed gives the same packets on every host and standard library.
#pragma once

#include <cstdint>
#include <vector>

namespace sift::gen::detail {

// splitmix64: small, fast and the same everywhere (std distributions are not).
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed * 0x9e3779b97f4a7c15ULL + 0x2545f4914f6cdd1dULL) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint32_t below(uint32_t n) { return n == 0 ? 0 : static_cast<uint32_t>(next() % n); }
  uint32_t range(uint32_t lo, uint32_t hi) { return lo + below(hi - lo + 1); }
  bool chance(uint32_t percent) { return below(100) < percent; }
  uint8_t byte() { return static_cast<uint8_t>(next()); }
  uint16_t u16() { return static_cast<uint16_t>(next()); }
  uint32_t u32() { return static_cast<uint32_t>(next()); }
  template <class T>
  const T& pick(const std::vector<T>& v) {
    return v[below(static_cast<uint32_t>(v.size()))];
  }

 private:
  uint64_t state_;
};

}  // namespace sift::gen::detail
