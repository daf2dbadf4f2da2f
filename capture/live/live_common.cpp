// The backend-independent half of live capture: choosing a backend (API,
// SIFT_LIBPCAP, sift.cfg), planning the filter, and the userspace filter
// the backends fall back to.
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "capture/live/live_internal.h"
#include "sift/vm.h"

namespace sift::live {

namespace {

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t' || s[b] == '\r')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r')) --e;
  return std::string(s.substr(b, e - b));
}

bool isFile(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// The value of the `libpcap` key in a configuration file, with the line it
// was on. Other keys are left for other parts of sift.
Expected<std::optional<std::pair<std::string, int>>> readLibpcapKey(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Diagnostic::error("cannot read configuration file '" + path + "'");
  std::optional<std::pair<std::string, int>> found;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    std::string text = trim(line);
    if (text.empty()) continue;
    auto eq = text.find('=');
    if (eq == std::string::npos)
      return Diagnostic::error(path + ":" + std::to_string(number) + ": expected 'key = value', got '" +
                               text + "'");
    if (trim(std::string_view(text).substr(0, eq)) == "libpcap")
      found = std::make_pair(trim(std::string_view(text).substr(eq + 1)), number);
  }
  return found;
}

}  // namespace

Expected<BackendChoice> BackendChoice::parse(std::string_view text) {
  BackendChoice c;
  if (text == "native") return c;
  if (text == "system") {
    c.kind = BackendKind::System;
    return c;
  }
  if (text.find('/') != std::string_view::npos) {
    c.kind = BackendKind::System;
    c.libraryPath = std::string(text);
    return c;
  }
  return Diagnostic::error("'" + std::string(text) +
                           "' is not a capture backend: use native, system or a path to libpcap");
}

std::optional<std::string> findConfigFile() {
  std::vector<std::string> candidates;
  if (const char* env = std::getenv("SIFT_CONFIG"); env && *env) candidates.emplace_back(env);
  candidates.emplace_back("./sift.cfg");
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg)
    candidates.push_back(std::string(xdg) + "/sift/sift.cfg");
  else if (const char* home = std::getenv("HOME"); home && *home)
    candidates.push_back(std::string(home) + "/.config/sift/sift.cfg");
  candidates.emplace_back("/etc/sift.cfg");
  for (const auto& c : candidates)
    if (isFile(c)) return c;
  return std::nullopt;
}

Expected<ResolvedBackend> resolveBackend(const std::optional<BackendChoice>& api) {
  ResolvedBackend r;
  if (api) {
    r.choice = *api;
    r.source = ChoiceSource::Api;
    r.origin = "the API";
    return r;
  }
  if (const char* env = std::getenv("SIFT_LIBPCAP"); env && *env) {
    auto c = BackendChoice::parse(env);
    if (!c) return Diagnostic::error("SIFT_LIBPCAP: " + c.error().message);
    r.choice = *c;
    r.source = ChoiceSource::Environment;
    r.origin = "SIFT_LIBPCAP";
    return r;
  }
  if (auto path = findConfigFile()) {
    auto key = readLibpcapKey(*path);
    if (!key) return key.takeError();
    if (*key) {
      auto c = BackendChoice::parse((*key)->first);
      if (!c) return Diagnostic::error(*path + ":" + std::to_string((*key)->second) + ": " + c.error().message);
      r.choice = *c;
      r.source = ChoiceSource::ConfigFile;
      r.origin = *path;
      return r;
    }
  }
  return r;
}

namespace detail {

Expected<FilterPlan> planFilter(const OpenOptions& options, uint32_t linktype, bool live) {
  FilterPlan plan;
  if (options.program) {
    plan.any = true;
    plan.kernel = *options.program;
    plan.userspace = *options.program;
    return plan;
  }
  if (trim(options.filter).empty()) return plan;
  CompileOptions co;
  co.linktype = linktype;
  co.snaplen = options.snaplen;
  co.optimizeLevel = options.optimizeLevel;
  co.netmask = options.netmask;
  co.resolver = options.resolver;
  co.liveLinuxSocket = false;
  auto offline = compile(options.filter, co);
  co.liveLinuxSocket = live;
  auto kernel = live ? compile(options.filter, co) : offline;
  if (!kernel) return kernel.takeError();
  plan.any = true;
  plan.kernel = std::move(kernel.value());
  // An expression that only makes sense on a live socket (vlan with
  // ancillary loads) has no userspace form: the kernel form is all there is.
  plan.userspace = offline ? std::move(offline.value()) : plan.kernel;
  return plan;
}

Expected<UserspaceFilter> UserspaceFilter::make(const bpf::Program& program, bool allowJit) {
  auto v = bpf::validate(program, bpf::Profile::Libpcap);
  if (!v) return Diagnostic::error("filter program is not valid: " + v.error().message);
  UserspaceFilter f;
  if (allowJit && jit::available()) {
    // A live capture is long next to a compile: O1 code at once, O2 code
    // when the filter's own thread has built it.
    jit::CompileOptions options;
    options.tierUp = true;
    if (auto compiled = jit::compile(*v, options))
      f.jit_ = std::shared_ptr<jit::CompiledFilter>(std::move(compiled.value()));
  }
  f.program_ = std::make_shared<const vm::Prepared>(*v);
  return f;
}

uint32_t UserspaceFilter::run(std::span<const uint8_t> packet, uint32_t wireLength) const {
  if (jit_) return jit_->run(packet, wireLength);
  return program_->run(packet, wireLength);
}

namespace {

bool isLoad(uint16_t code) { return (code & 0x07) == 0x00 || (code & 0x07) == 0x01; }

}  // namespace

std::optional<bpf::Program> rewriteForCooked(const bpf::Program& program) {
  constexpr uint32_t kSllLen = 16;
  constexpr uint32_t kAdProtocol = 0, kAdPktType = 4, kAdHaType = 28;
  bpf::Program out = program;
  for (auto& in : out.insns) {
    if (!isLoad(in.code)) continue;
    uint16_t cls = in.code & 0x07, mode = in.code & 0xe0, size = in.code & 0x18;
    switch (mode) {
      case 0x00:  // imm
      case 0x60:  // mem
        break;
      case 0x80:  // len: the socket sees 16 bytes fewer
        return std::nullopt;
      case 0x20:  // abs
        if (in.k >= 0x80000000u) break;  // already an ancillary or network-relative load
        if (in.k >= kSllLen) {
          in.k -= kSllLen;
        } else if (size == 0x08 && in.k == 0) {
          in.k = static_cast<uint32_t>(bpf::kSkfAdOff) + kAdPktType;
        } else if (size == 0x08 && in.k == 2) {
          in.k = static_cast<uint32_t>(bpf::kSkfAdOff) + kAdHaType;
        } else if (size == 0x08 && in.k == 14) {
          in.k = static_cast<uint32_t>(bpf::kSkfAdOff) + kAdProtocol;
        } else {
          return std::nullopt;
        }
        break;
      case 0x40:  // ind
      case 0xa0:  // msh
        if (cls == 0x01 && mode != 0xa0) return std::nullopt;
        if (in.k < kSllLen || in.k >= 0x80000000u) return std::nullopt;
        in.k -= kSllLen;
        break;
      default:
        return std::nullopt;
    }
  }
  return out;
}

}  // namespace detail

Expected<std::unique_ptr<Source>> open(const OpenOptions& options) {
  auto backend = resolveBackend(options.backend);
  if (!backend) return backend.takeError();
  if (backend->choice.kind == BackendKind::System) return detail::openSystem(options, backend->choice.libraryPath);
  return detail::openNative(options);
}

Expected<std::vector<InterfaceInfo>> listInterfaces(const std::optional<BackendChoice>& choice) {
  auto backend = resolveBackend(choice);
  if (!backend) return backend.takeError();
  if (backend->choice.kind == BackendKind::System) return detail::listSystem(backend->choice.libraryPath);
  return detail::listNative();
}

}  // namespace sift::live
