// Backend choice (API > SIFT_LIBPCAP > sift.cfg > native) and the
// cooked-mode program rewrite. No privileges needed.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "capture/live/live_internal.h"
#include "sift/live.h"

using namespace sift;
using namespace sift::live;

namespace {

// Sets or clears an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value)
      ::setenv(name, value, 1);
    else
      ::unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_)
      ::setenv(name_, old_->c_str(), 1);
    else
      ::unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

std::string writeTemp(const std::string& text) {
  auto dir = std::filesystem::temp_directory_path();
  std::string path = (dir / ("sift-live-cfg-" + std::to_string(::getpid()) + ".cfg")).string();
  std::ofstream(path) << text;
  return path;
}

}  // namespace

TEST_CASE("backend names parse") {
  auto n = BackendChoice::parse("native");
  REQUIRE(n.ok());
  CHECK(n->kind == BackendKind::Native);
  auto s = BackendChoice::parse("system");
  REQUIRE(s.ok());
  CHECK(s->kind == BackendKind::System);
  CHECK(s->libraryPath.empty());
  auto p = BackendChoice::parse("/opt/pcap/lib/libpcap.so.1");
  REQUIRE(p.ok());
  CHECK(p->kind == BackendKind::System);
  CHECK(p->libraryPath == "/opt/pcap/lib/libpcap.so.1");
  auto bad = BackendChoice::parse("fast");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message == "'fast' is not a capture backend: use native, system or a path to libpcap");
}

TEST_CASE("the API overrides SIFT_LIBPCAP, which overrides sift.cfg") {
  std::string cfg = writeTemp("# sift configuration\n\nlibpcap = /from/the/file/libpcap.so  # comment\nother = 1\n");
  ScopedEnv config("SIFT_CONFIG", cfg.c_str());
  {
    ScopedEnv var("SIFT_LIBPCAP", nullptr);
    auto r = resolveBackend(std::nullopt);
    REQUIRE(r.ok());
    CHECK(r->source == ChoiceSource::ConfigFile);
    CHECK(r->origin == cfg);
    CHECK(r->choice.libraryPath == "/from/the/file/libpcap.so");
  }
  {
    ScopedEnv var("SIFT_LIBPCAP", "system");
    auto r = resolveBackend(std::nullopt);
    REQUIRE(r.ok());
    CHECK(r->source == ChoiceSource::Environment);
    CHECK(r->choice.kind == BackendKind::System);
    CHECK(r->choice.libraryPath.empty());
    auto api = resolveBackend(BackendChoice{});
    REQUIRE(api.ok());
    CHECK(api->source == ChoiceSource::Api);
    CHECK(api->choice.kind == BackendKind::Native);
  }
  {
    ScopedEnv var("SIFT_LIBPCAP", "bogus");
    auto r = resolveBackend(std::nullopt);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("SIFT_LIBPCAP: 'bogus'") == 0);
  }
  std::filesystem::remove(cfg);
}

TEST_CASE("a bad line in sift.cfg names the file and the line") {
  std::string cfg = writeTemp("libpcap = native\nlibpcap = turbo\n");
  ScopedEnv config("SIFT_CONFIG", cfg.c_str());
  ScopedEnv var("SIFT_LIBPCAP", nullptr);
  auto r = resolveBackend(std::nullopt);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == cfg + ":2: 'turbo' is not a capture backend: use native, system or a path to libpcap");
  std::filesystem::remove(cfg);
  std::string cfg2 = writeTemp("just words\n");
  ScopedEnv config2("SIFT_CONFIG", cfg2.c_str());
  auto r2 = resolveBackend(std::nullopt);
  REQUIRE_FALSE(r2.ok());
  CHECK(r2.error().message == cfg2 + ":1: expected 'key = value', got 'just words'");
  std::filesystem::remove(cfg2);
}

TEST_CASE("without any setting the backend is native") {
  ScopedEnv config("SIFT_CONFIG", "/nonexistent/sift.cfg");
  ScopedEnv var("SIFT_LIBPCAP", nullptr);
  ScopedEnv xdg("XDG_CONFIG_HOME", "/nonexistent");
  if (std::filesystem::exists("sift.cfg") || std::filesystem::exists("/etc/sift.cfg")) return;
  auto r = resolveBackend(std::nullopt);
  REQUIRE(r.ok());
  CHECK(r->source == ChoiceSource::Default);
  CHECK(r->choice.kind == BackendKind::Native);
}

TEST_CASE("cooked programs are rewritten for a SOCK_DGRAM socket") {
  using bpf::Insn;
  const uint32_t ad = static_cast<uint32_t>(bpf::kSkfAdOff);
  bpf::Program p;
  p.insns = {
      Insn{0x28, 0, 0, 14},     // ldh [14]        -> ldh [proto]
      Insn{0x28, 0, 0, 0},      // ldh [0]         -> ldh [type]
      Insn{0x30, 0, 0, 25},     // ldb [25]        -> ldb [9]
      Insn{0xb1, 0, 0, 16},     // ldxb 4*([16]&0xf) -> ldxb 4*([0]&0xf)
      Insn{0x48, 0, 0, 18},     // ldh [x + 18]    -> ldh [x + 2]
      Insn{0x28, 0, 0, ad + 44},// ldh [vlan_tci]  unchanged
      Insn{0x06, 0, 0, 262144},
  };
  auto r = detail::rewriteForCooked(p);
  REQUIRE(r.has_value());
  CHECK(r->insns[0].k == ad + 0);
  CHECK(r->insns[1].k == ad + 4);
  CHECK(r->insns[2].k == 9);
  CHECK(r->insns[3].k == 0);
  CHECK(r->insns[4].k == 2);
  CHECK(r->insns[5].k == ad + 44);
  // The address bytes and the packet length have no kernel equivalent.
  bpf::Program addr;
  addr.insns = {Insn{0x20, 0, 0, 6}, Insn{0x06, 0, 0, 1}};
  CHECK_FALSE(detail::rewriteForCooked(addr).has_value());
  bpf::Program len;
  len.insns = {Insn{0x80, 0, 0, 0}, Insn{0x06, 0, 0, 1}};
  CHECK_FALSE(detail::rewriteForCooked(len).has_value());
}

TEST_CASE("Linux hardware types map to link types") {
  CHECK(linktypeForArphrd(1) == 1u);      // ARPHRD_ETHER
  CHECK(linktypeForArphrd(772) == 1u);    // ARPHRD_LOOPBACK
  CHECK(linktypeForArphrd(0xfffe) == 12u);// ARPHRD_NONE: raw IP
  CHECK_FALSE(linktypeForArphrd(512).has_value());  // ARPHRD_PPP: cooked
}
