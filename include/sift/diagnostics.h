// Diagnostics: errors are values with a source span.
//
// Every stage of sift reports problems as a Diagnostic instead of throwing,
// aborting or longjmp-ing. A Diagnostic names a byte range of the input (a
// Span) so it can be rendered with a caret under the offending text:
//
//   error: 'port' takes a number from 0 to 65535
//     tcp port 70000
//              ^~~~~
//
// Messages are lower-case with no trailing period and quote the offending
// text. First error wins: a stage stops at its first error.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace sift {

/// A half-open byte range [begin, end) of the source text.
struct Span {
  uint32_t begin = 0;
  uint32_t end = 0;

  constexpr uint32_t size() const { return end - begin; }
  constexpr bool empty() const { return begin == end; }
  /// The smallest span covering both.
  static constexpr Span cover(Span a, Span b) {
    return {a.begin < b.begin ? a.begin : b.begin, a.end > b.end ? a.end : b.end};
  }
  friend constexpr bool operator==(Span, Span) = default;
};

enum class Severity : uint8_t { Error, Warning, Note };

struct Diagnostic {
  Severity severity = Severity::Error;
  std::optional<Span> span;  // absent when the problem has no place in the source
  std::string message;
  std::vector<std::string> notes;

  static Diagnostic error(std::string message) {
    return Diagnostic{Severity::Error, std::nullopt, std::move(message), {}};
  }
  static Diagnostic error(Span span, std::string message) {
    return Diagnostic{Severity::Error, span, std::move(message), {}};
  }
  Diagnostic& note(std::string text) {
    notes.push_back(std::move(text));
    return *this;
  }
};

/// Renders "error: MESSAGE" and, when there is a span and source text, the
/// source line with a caret under the span; notes follow as "note: ...".
std::string render(const Diagnostic& d, std::string_view source = {});

/// A value or the Diagnostic that explains why there is none.
template <class T>
class Expected {
 public:
  Expected(T value) : v_(std::move(value)) {}
  Expected(Diagnostic d) : v_(std::move(d)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Diagnostic& error() const { return std::get<1>(v_); }
  Diagnostic&& takeError() { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Diagnostic> v_;
};

/// For operations that produce nothing but may fail.
struct Unit {};
using Status = Expected<Unit>;
inline Status okStatus() { return Unit{}; }

}  // namespace sift
