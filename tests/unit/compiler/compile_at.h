// sift::compile for the end-to-end tests: a link type, an optimization
// level and the fixed test resolver.
#pragma once

#include <string>

#include "sift/compile.h"

namespace sift::lowertest {

inline Expected<bpf::Program> compileAt(const std::string& expr, uint32_t dlt, int level) {
  static const FixedResolver resolver = FixedResolver::standard();
  CompileOptions o;
  o.linktype = dlt;
  o.optimizeLevel = level;
  o.resolver = &resolver;
  return compile(expr, o);
}

}  // namespace sift::lowertest
