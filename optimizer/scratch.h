// Storage kept between optimize() calls on one thread: the largest
// per-call buffers (value states, walk steps) are handed back here when a
// call ends and taken again by the next one, so a process that compiles
// many filters does not fault the same fresh pages in for every compile.
// Buffers above a size limit are freed as usual.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace sift::optimizer {

inline constexpr size_t kMaxRetainedBytes = size_t{16} << 20;

/// One retained buffer per (element type, tag).
template <class T, int Tag>
std::vector<T>& retainedSlot() {
  thread_local std::vector<T> slot;
  return slot;
}

/// An empty vector, with the capacity a previous call left behind.
template <class T, int Tag>
std::vector<T> takeRetained() {
  std::vector<T> v = std::move(retainedSlot<T, Tag>());
  retainedSlot<T, Tag>() = std::vector<T>();
  v.clear();
  return v;
}

/// Keeps `v`'s storage for the next call (unless it is too large).
template <class T, int Tag>
void giveRetained(std::vector<T>&& v) {
  if (v.capacity() * sizeof(T) > kMaxRetainedBytes) return;
  if (v.capacity() > retainedSlot<T, Tag>().capacity()) retainedSlot<T, Tag>() = std::move(v);
}

}  // namespace sift::optimizer
