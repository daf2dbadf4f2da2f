// sift-difftest: the differential test of sift against the installed
// libpcap. For every corpus expression and link type it compiles with both;
// where libpcap refuses, sift must refuse too; where both accept, both
// programs run over every generated packet of that link type and every
// packet of the shared real captures with the same link type, and the
// returned values must be identical. With --sizes it instead prints sift's
// instruction counts next to libpcap's. See docs/testing.md.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "oracle.h"
#include "packet_gen.h"
#include "sift/bpf.h"
#include "sift/compile.h"
#include "sift/linktype.h"
#include "sift/vm.h"

namespace fs = std::filesystem;

namespace sift::difftest {
namespace {

constexpr uint32_t kSnaplen = 262144;

struct Options {
  std::vector<std::string> corpusPaths;
  std::string sharedDir = SIFT_SHARED_DIR;
  std::vector<uint32_t> linktypes;
  std::string match;
  std::vector<std::string> expressions;
  size_t packetsPerLinktype = 3000;
  size_t sharedPerFile = 0;  // 0: every packet of every shared capture
  uint64_t seed = 1;
  bool useShared = true;
  bool sizes = false;
  bool markdown = false;
  bool quiet = false;
  bool counts = false;
  // --expect-defects: every expression must show libpcap's optimizer
  // changing a verdict somewhere (the corpus of libpcap's known defects).
  bool expectDefects = false;
  std::string dumpDir;  // --dump: write each failing pair's disagreeing packets as a pcap file
  std::string fileReport;  // --file-report: the per-file accounting of the shared captures as TSV
  size_t fileBar = 0;      // --file-bar N: fail if a readable shared file with packets ran fewer expressions
  size_t maxReports = 5;
  unsigned jobs = 0;
  bool allLinktypes = false;  // no --linktypes: every generated link type is tested
};

struct Expression {
  std::string text;
  std::string origin;  // file:line
};

struct TestPacket {
  std::vector<uint8_t> data;
  uint32_t wireLength = 0;
  uint32_t source = 0;  // index into PacketSet::sources
  uint32_t index = 0;   // packet number within that source
};

struct PacketSet {
  uint32_t dlt = 0;
  std::string name;
  std::vector<std::string> sources;  // "generated", "pcaps/tcpdump-tests/x.pcap"
  std::vector<TestPacket> packets;
  size_t generated = 0, shared = 0, files = 0;
};

// One file of the shared captures' manifest, as libpcap reads it, and what
// the run did with its packets.
struct SharedFile {
  std::string name;            // "tcpdump-tests/x.pcap"
  std::string manifestLinktypes;  // the manifest's column, e.g. "1" or "1,1"
  bool opened = false;
  std::string error;           // libpcap's error when it could not open or stopped reading
  uint32_t dlt = 0;            // pcap_datalink()
  size_t packets = 0;          // packets libpcap delivered (before its error, if any)
  size_t used = 0;             // packets of it in the test's packet set
  int set = -1;                // index of its link type's PacketSet; -1: link type not tested
  uint32_t source = 0;         // its index in that set's sources
  // Filled in after the run.
  size_t expressions = 0;      // cases both compilers compiled, run over its packets
  size_t accepting = 0;        // of those, how many accept some packet of the file
  size_t rejecting = 0;        // ... reject some packet of it
  size_t discriminating = 0;   // ... accept one packet of it and reject another
  size_t verdicts = 0, disagreements = 0;
};

// ---- command line -------------------------------------------------------

int usage(const char* why) {
  if (why) std::fprintf(stderr, "sift-difftest: %s\n", why);
  std::fprintf(stderr,
               "usage: sift-difftest [--corpus PATH]... [--linktypes A,B] [--match TEXT] [-e EXPR]...\n"
               "                     [--packets N] [--seed N] [--no-shared] [--shared DIR] [--jobs N]\n"
               "                     [--reports N] [--quiet] [--counts] [--dump DIR]\n"
               "                     [--file-report FILE.tsv] [--file-bar N]\n"
               "                     [--sizes [--markdown]]\n"
               "environment: SIFT_DIFF_LINKTYPES, SIFT_DIFF_MATCH, SIFT_DIFF_PACKETS, SIFT_DIFF_NO_SHARED\n");
  return 64;
}

std::vector<std::string> splitList(std::string_view text) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : text) {
    if (c == ',' || c == ' ') {
      if (!cur.empty()) out.push_back(cur), cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

bool parseLinktypes(std::string_view text, std::vector<uint32_t>& out) {
  for (const auto& name : splitList(text)) {
    auto dlt = gen::parseGenLinktype(name);
    if (!dlt) {
      std::fprintf(stderr, "sift-difftest: unknown or ungenerated link type '%s'\n", name.c_str());
      return false;
    }
    out.push_back(*dlt);
  }
  return true;
}

std::optional<Options> parseOptions(int argc, char** argv, int& exitCode) {
  Options o;
  if (const char* v = std::getenv("SIFT_DIFF_LINKTYPES"); v && *v && !parseLinktypes(v, o.linktypes)) {
    exitCode = 64;
    return std::nullopt;
  }
  if (const char* v = std::getenv("SIFT_TEST_SCALE"); v && std::string_view(v) == "small") {
    o.packetsPerLinktype = 400;  // sanitizer builds: a smaller sample of the same packets
    o.sharedPerFile = 20;
  }
  if (const char* v = std::getenv("SIFT_DIFF_MATCH")) o.match = v;
  if (const char* v = std::getenv("SIFT_DIFF_PACKETS"); v && *v)
    o.packetsPerLinktype = std::strtoul(v, nullptr, 10);
  if (const char* v = std::getenv("SIFT_DIFF_NO_SHARED"); v && *v && std::string_view(v) != "0")
    o.useShared = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const char* v = nullptr;
    if (a == "--corpus" && (v = value())) {
      o.corpusPaths.push_back(v);
    } else if (a == "--linktypes" && (v = value())) {
      o.linktypes.clear();
      if (!parseLinktypes(v, o.linktypes)) {
        exitCode = 64;
        return std::nullopt;
      }
    } else if (a == "--match" && (v = value())) {
      o.match = v;
    } else if ((a == "-e" || a == "--expr") && (v = value())) {
      o.expressions.push_back(v);
    } else if (a == "--packets" && (v = value())) {
      o.packetsPerLinktype = std::strtoul(v, nullptr, 10);
    } else if (a == "--seed" && (v = value())) {
      o.seed = std::strtoull(v, nullptr, 10);
    } else if (a == "--shared" && (v = value())) {
      o.sharedDir = v;
    } else if (a == "--jobs" && (v = value())) {
      o.jobs = static_cast<unsigned>(std::strtoul(v, nullptr, 10));
    } else if (a == "--reports" && (v = value())) {
      o.maxReports = std::strtoul(v, nullptr, 10);
    } else if (a == "--no-shared") {
      o.useShared = false;
    } else if (a == "--sizes") {
      o.sizes = true;
    } else if (a == "--markdown") {
      o.markdown = true;
    } else if (a == "--dump" && (v = value())) {
      o.dumpDir = v;
    } else if (a == "--file-report" && (v = value())) {
      o.fileReport = v;
    } else if (a == "--file-bar" && (v = value())) {
      o.fileBar = std::strtoul(v, nullptr, 10);
    } else if (a == "--counts") {
      o.counts = true;
    } else if (a == "--expect-defects") {
      o.expectDefects = true;
    } else if (a == "--quiet") {
      o.quiet = true;
    } else if (a == "-h" || a == "--help") {
      exitCode = usage(nullptr);
      return std::nullopt;
    } else {
      exitCode = usage(("bad argument '" + std::string(a) + "'").c_str());
      return std::nullopt;
    }
  }
  if (o.fileBar != 0 && (!o.match.empty() || !o.expressions.empty() || !o.corpusPaths.empty())) {
    // A bar on a chosen subset of the expressions would fail by design.
    if (!o.quiet) std::printf("per-file bar not checked: the expressions are a chosen subset\n");
    o.fileBar = 0;
  }
  if (o.corpusPaths.empty() && o.expressions.empty())
    o.corpusPaths.push_back(std::string(SIFT_SOURCE_DIR) + "/corpus/filters");
  o.allLinktypes = o.linktypes.empty();
  if (o.linktypes.empty())
    for (const auto& l : gen::generatorLinktypes()) o.linktypes.push_back(l.dlt);
  if (o.jobs == 0) o.jobs = std::max(1u, std::thread::hardware_concurrency());
  return o;
}

// ---- the corpus ---------------------------------------------------------

std::string trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(" \t\r");
  return std::string(s.substr(b, e - b + 1));
}

bool readCorpusFile(const fs::path& path, std::vector<Expression>& out) {
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "sift-difftest: cannot read corpus file '%s'\n", path.string().c_str());
    return false;
  }
  std::string line;
  size_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    std::string text = trim(line.substr(0, line.find('#')));
    if (!text.empty()) out.push_back({text, path.filename().string() + ":" + std::to_string(n)});
  }
  return true;
}

bool loadCorpus(const Options& o, std::vector<Expression>& out) {
  for (const auto& e : o.expressions) out.push_back({e, "command line"});
  for (const auto& p : o.corpusPaths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<fs::path> files;
      for (const auto& entry : fs::directory_iterator(p))
        if (entry.path().extension() == ".txt") files.push_back(entry.path());
      std::sort(files.begin(), files.end());
      for (const auto& f : files)
        if (!readCorpusFile(f, out)) return false;
    } else if (!readCorpusFile(p, out)) {
      return false;
    }
  }
  // Drop repeats (keeping the first) and apply --match.
  std::set<std::string> seen;
  std::vector<Expression> kept;
  for (auto& e : out) {
    if (!o.match.empty() && e.text.find(o.match) == std::string::npos) continue;
    if (!seen.insert(e.text).second) continue;
    kept.push_back(std::move(e));
  }
  out = std::move(kept);
  return true;
}

// ---- packets --------------------------------------------------------------

struct SharedCaptures {
  bool available = false;
  std::string note;
  size_t filesRead = 0, filesFailed = 0;
  std::vector<SharedFile> files;  // every file of the manifest, in its order
};

// Reads every file the manifest lists through libpcap (so the bytes are
// what libpcap delivers) and adds the packets of those whose link type is
// tested to that link type's packet set. Files of other link types are
// still opened, so the per-file report covers the whole manifest.
SharedCaptures loadShared(const Options& o, std::vector<PacketSet>& sets) {
  SharedCaptures info;
  if (!o.useShared) {
    info.note = "shared captures skipped (--no-shared)";
    return info;
  }
  fs::path dir = fs::path(o.sharedDir) / "pcaps";
  std::ifstream manifest(dir / "MANIFEST.tsv");
  if (!manifest) {
    info.note = "shared captures skipped: no " + (dir / "MANIFEST.tsv").string();
    return info;
  }
  info.available = true;
  std::string line;
  std::getline(manifest, line);  // header: file format linktype packets bytes note
  while (std::getline(manifest, line)) {
    std::vector<std::string> cols;
    std::stringstream ss(line);
    std::string col;
    while (std::getline(ss, col, '\t')) cols.push_back(col);
    if (cols.size() < 3) continue;
    SharedFile f;
    f.name = cols[0];
    f.manifestLinktypes = cols[2];
    CaptureFile file = oracleReadFile((dir / cols[0]).string());
    f.opened = file.opened;
    f.error = file.error;
    f.dlt = file.linktype;
    f.packets = file.packets.size();
    if (!file.opened) {
      ++info.filesFailed;
      info.files.push_back(std::move(f));
      continue;
    }
    ++info.filesRead;
    for (size_t k = 0; k < sets.size(); ++k) {
      PacketSet& s = sets[k];
      if (s.dlt != file.linktype) continue;
      f.set = static_cast<int>(k);
      if (file.packets.empty()) break;
      f.source = static_cast<uint32_t>(s.sources.size());
      s.sources.push_back("pcaps/" + cols[0]);
      ++s.files;
      size_t n = file.packets.size();
      if (o.sharedPerFile != 0 && n > o.sharedPerFile) n = o.sharedPerFile;
      for (size_t i = 0; i < n; ++i) {
        s.packets.push_back(
            {std::move(file.packets[i].data), file.packets[i].wireLength, f.source, static_cast<uint32_t>(i)});
        ++s.shared;
      }
      f.used = n;
      break;
    }
    info.files.push_back(std::move(f));
  }
  return info;
}

std::vector<PacketSet> loadPackets(const Options& o, SharedCaptures& shared) {
  std::vector<PacketSet> sets;
  for (uint32_t dlt : o.linktypes) {
    PacketSet s;
    s.dlt = dlt;
    s.name = gen::genLinktypeName(dlt);
    s.sources.push_back("generated");
    auto packets = gen::generatePackets({dlt, o.packetsPerLinktype, o.seed});
    for (size_t i = 0; i < packets.size(); ++i)
      s.packets.push_back({std::move(packets[i].data), packets[i].wireLength, 0, static_cast<uint32_t>(i)});
    s.generated = packets.size();
    sets.push_back(std::move(s));
  }
  shared = loadShared(o, sets);
  return sets;
}

// ---- one expression on one link type -----------------------------------

enum class Outcome : uint8_t {
  BothReject,
  Compared,
  SiftRejects,   // libpcap compiles it, sift refuses: failure
  WrongRefusal,  // libpcap -O refuses it as rejecting all packets, but its unoptimized program accepts
                 // some packet; sift compiles it and agrees with that program on every packet: not a
                 // failure (libpcap 1.10.3's optimizer defect, corpus/libpcap-defects)
  NeverMatches,  // sift proves "expression rejects all packets" where libpcap compiles a program that
                 // accepts none of the packets either: not a failure, counted apart
  LinuxOnly,     // libpcap 1.10.3 compiles Linux ancillary loads (inbound, ifindex, ...) for a capture
                 // file, where they reject every packet; sift refuses them offline and compiles them
                 // for a live Linux socket: not a failure, counted apart
  MasterOnly,    // the expression uses a keyword only libpcap master has (kMasterOnlyKeywords), so
                 // libpcap 1.10.3 refuses it with a syntax error; sift compiles it on purpose: not
                 // compared with libpcap, but sift's programs are checked on their own (below)
  SiftAccepts,   // libpcap refuses it, sift compiles: failure
  SiftInvalid,   // sift's program fails its own validator or libpcap's: failure
  SiftUnstable,  // compiling the same expression twice gave different programs: failure
  SiftInconsistent,  // (master-only expressions) sift's optimized and unoptimized programs disagree: failure
};

/// The keywords libpcap master has and 1.10.3 does not: sift follows master
/// there (docs/linklayers.md), so the installed libpcap is no oracle for an
/// expression that uses one. Such an expression still has to compile to
/// programs that sift's, libpcap's and the kernel's validators take, twice
/// the same, and whose optimized and unoptimized forms give the same
/// verdict on every packet; tests/unit/compiler/vxlan_test.cpp holds its
/// verdicts to libpcap's for equivalent byte tests.
constexpr std::string_view kMasterOnlyKeywords[] = {"vxlan"};

/// Whether `text` uses a master-only keyword: a word of the lexer's name
/// characters that is exactly the keyword (an escaped `\vxlan` is a name).
bool usesMasterOnlyKeyword(std::string_view text) {
  auto nameChar = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.' || c == '\\';
  };
  for (size_t i = 0; i < text.size();) {
    if (!nameChar(text[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < text.size() && nameChar(text[j])) ++j;
    const std::string_view word = text.substr(i, j - i);
    for (std::string_view k : kMasterOnlyKeywords)
      if (word == k) return true;
    i = j;
  }
  return false;
}

struct Disagreement {
  size_t packet;  // index into PacketSet::packets
  uint32_t oracle, sift;
  uint32_t oracleOnSift;  // libpcap's bpf_filter running sift's program: tells compiler bugs from VM bugs
};

struct ItemResult {
  Outcome outcome = Outcome::BothReject;
  std::string oracleError, siftError;
  std::vector<bpf::Insn> oracleInsns, siftInsns;
  size_t agree = 0, disagree = 0, accepted = 0, rejected = 0;
  std::vector<Disagreement> samples;
  std::vector<size_t> disagreeing;  // the first packets that disagree, for --dump
  // Packets where libpcap's optimized and unoptimized programs disagree and
  // sift returns what the unoptimized one does. libpcap's optimizer treats
  // loads as free of effects, so it changes the verdict on some truncated
  // packets (and miscompiles a few expressions, corpus/libpcap-defects);
  // sift keeps the semantics of the unoptimized program there. Counted
  // apart from `agree`; not a failure.
  size_t asUnoptimized = 0;
  // Per source of the packet set (for Compared): bit 1 set when some
  // packet of it was accepted, bit 2 when some was rejected; and how many
  // of its packets disagree (empty when none does).
  std::vector<uint8_t> sourceVerdicts;
  std::vector<uint32_t> sourceDisagreements;
  // libpcap's program reads a scratch cell before any write on some path
  // (`geneve or ip`): its verdicts are those of libpcap 1.10.3 with zeroed
  // memory (oracle.cpp), not of its bpf_filter over whatever the stack
  // held. Compared as usual, and counted so the report says how many.
  bool oracleReadsUnwritten = false;
};

/// Why the kernel would refuse a program for reading a scratch cell before
/// writing it, or empty. (The kernel's other rules, such as no backward
/// jumps for protochain's loop, are not sift's to meet offline.)
std::string unwrittenScratchRead(const std::vector<bpf::Insn>& insns) {
  bpf::ValidationError why;
  if (bpf::validate(bpf::Program{insns}, bpf::Profile::Kernel, &why) || why.rule != "uninitialized-scratch") return "";
  return why.message;
}

std::string renderError(const Diagnostic& d, std::string_view source) {
  std::string s = render(d, source);
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

/// sift's own checks on an expression it compiled to `program`: a second
/// compile gives the same program, sift's and libpcap's validators take it,
/// and neither it nor its unoptimized form reads a scratch cell before
/// writing it (so the kernel takes them: live capture stays in the kernel).
/// On a failure sets r.outcome and r.siftError and returns nothing.
std::optional<bpf::ValidatedProgram> checkSiftProgram(const Expression& e, const CompileOptions& options,
                                                      const bpf::Program& program, ItemResult& r) {
  auto again = compile(e.text, options);
  if (!again || again->insns != program.insns) {
    r.outcome = Outcome::SiftUnstable;
    r.siftError = again ? "a second compile gave a different program" : "a second compile failed";
    return std::nullopt;
  }
  auto validated = bpf::validate(program, bpf::Profile::Libpcap);
  if (!validated) {
    r.outcome = Outcome::SiftInvalid;
    r.siftError = "sift's validator refuses sift's program: " + validated.error().message;
    return std::nullopt;
  }
  if (!oracleValidate(program.insns)) {
    r.outcome = Outcome::SiftInvalid;
    r.siftError = "libpcap's bpf_validate refuses sift's program";
    return std::nullopt;
  }
  CompileOptions unoptimizedOptions = options;
  unoptimizedOptions.optimizeLevel = 0;
  auto plain = compile(e.text, unoptimizedOptions);
  const std::vector<bpf::Insn>* programs[] = {&program.insns, plain ? &plain->insns : nullptr};
  for (const std::vector<bpf::Insn>* insns : programs) {
    if (!insns) continue;
    if (std::string why = unwrittenScratchRead(*insns); !why.empty()) {
      r.outcome = Outcome::SiftInvalid;
      r.siftError = std::string("the kernel would refuse sift's ") + (insns == &program.insns ? "" : "unoptimized ") +
                    "program: " + why;
      return std::nullopt;
    }
  }
  return std::move(*validated);
}

/// A master-only expression (kMasterOnlyKeywords) that sift compiled: its
/// own checks, then its optimized and unoptimized programs over every
/// packet, which must agree.
ItemResult runMasterOnly(const Expression& e, const PacketSet& set, const CompileOptions& options,
                         const bpf::Program& program, bool runPackets, ItemResult r) {
  r.siftInsns = program.insns;
  auto validated = checkSiftProgram(e, options, program, r);
  if (!validated) return r;
  r.outcome = Outcome::MasterOnly;
  if (!runPackets) return r;
  CompileOptions unoptimizedOptions = options;
  unoptimizedOptions.optimizeLevel = 0;
  auto plain = compile(e.text, unoptimizedOptions);
  if (!plain) {
    r.outcome = Outcome::SiftInconsistent;
    r.siftError = "sift -O0 refuses it: " + plain.error().message;
    return r;
  }
  auto plainValidated = bpf::validate(*plain, bpf::Profile::Libpcap);
  if (!plainValidated) {
    r.outcome = Outcome::SiftInvalid;
    r.siftError = "sift's validator refuses sift's unoptimized program: " + plainValidated.error().message;
    return r;
  }
  const vm::Prepared optimized(*validated), unoptimized(*plainValidated);
  for (size_t i = 0; i < set.packets.size(); ++i) {
    const TestPacket& p = set.packets[i];
    const std::span<const uint8_t> data(p.data.data(), p.data.size());
    const uint32_t want = unoptimized.run(data, p.wireLength), got = optimized.run(data, p.wireLength);
    (want != 0 ? r.accepted : r.rejected)++;
    if (want == got) continue;
    r.outcome = Outcome::SiftInconsistent;
    r.siftError = "on " + set.sources[p.source] + " #" + std::to_string(p.index) + " sift -O0 returns " +
                  std::to_string(want) + ", sift -O1 " + std::to_string(got);
    return r;
  }
  return r;
}

ItemResult runItem(const Expression& e, const PacketSet& set, bool runPackets) {
  ItemResult r;
  OracleProgram oracle = oracleCompile(e.text, set.dlt, kSnaplen, true);
  CompileOptions options;
  options.linktype = set.dlt;
  options.snaplen = kSnaplen;
  // The public API never throws; if it does, say which case made it.
  auto guardedCompile = [&]() -> Expected<bpf::Program> {
    try {
      return compile(e.text, options);
    } catch (const std::exception& ex) {
      return Diagnostic::error(std::string("sift::compile threw: ") + ex.what());
    }
  };
  auto compiled = guardedCompile();
  if (!oracle.ok) r.oracleError = oracle.error;
  if (!compiled) r.siftError = renderError(compiled.error(), e.text);
  if (!oracle.ok && !compiled) return r;
  if (!oracle.ok && usesMasterOnlyKeyword(e.text) && oracle.error.find("syntax error") != std::string::npos)
    return runMasterOnly(e, set, options, *compiled, runPackets, std::move(r));
  if (!oracle.ok) {
    r.outcome = Outcome::SiftAccepts;
    r.siftInsns = compiled->insns;
    if (runPackets && oracle.error.find("rejects all packets") != std::string::npos) {
      OracleProgram unopt = oracleCompile(e.text, set.dlt, kSnaplen, false);
      auto validated = bpf::validate(*compiled, bpf::Profile::Libpcap);
      if (unopt.ok && validated) {
        bool same = true, anyAccepted = false;
        for (const TestPacket& p : set.packets) {
          uint32_t caplen = static_cast<uint32_t>(p.data.size());
          uint32_t want = oracleRun(unopt.insns, p.data.data(), caplen, p.wireLength);
          uint32_t got = vm::run(*validated, std::span<const uint8_t>(p.data.data(), p.data.size()), p.wireLength);
          anyAccepted |= want != 0;
          if (want != got) {
            same = false;
            break;
          }
        }
        if (same && anyAccepted) r.outcome = Outcome::WrongRefusal;
      }
    }
    return r;
  }
  r.oracleInsns = oracle.insns;
  if (!compiled) {
    r.outcome = Outcome::SiftRejects;
    // sift's optimizer proves some expressions never match that libpcap's
    // does not; then libpcap's program must reject every packet too.
    if (runPackets && compiled.error().message == "expression rejects all packets") {
      bool anyAccepted = false;
      for (const TestPacket& p : set.packets)
        if (oracleRun(r.oracleInsns, p.data.data(), static_cast<uint32_t>(p.data.size()), p.wireLength) != 0) {
          anyAccepted = true;
          break;
        }
      if (!anyAccepted) r.outcome = Outcome::NeverMatches;
    }
    constexpr uint32_t kSkfAdOff = 0xfffff000;
    bool ancillary = false;
    // (Behind a variable-length radio header libpcap 1.10.3 emits the
    // load relative to the link-layer header, `ldh [x + -4092]`: still
    // Linux's ancillary offset, and out of bounds in a file.)
    for (const bpf::Insn& in : r.oracleInsns)
      ancillary |= (in.code == 0x20 || in.code == 0x28 || in.code == 0x30 || in.code == 0x40 || in.code == 0x48 ||
                    in.code == 0x50) &&
                   in.k >= kSkfAdOff;
    if (runPackets && ancillary) {
      CompileOptions live = options;
      live.liveLinuxSocket = true;
      bool anyAccepted = false;
      for (const TestPacket& p : set.packets)
        anyAccepted |= oracleRun(r.oracleInsns, p.data.data(), static_cast<uint32_t>(p.data.size()), p.wireLength) != 0;
      if (!anyAccepted && compile(e.text, live)) r.outcome = Outcome::LinuxOnly;
    }
    return r;
  }
  r.siftInsns = compiled->insns;
  auto validated = checkSiftProgram(e, options, *compiled, r);
  if (!validated) return r;
  r.oracleReadsUnwritten = !unwrittenScratchRead(r.oracleInsns).empty();
  r.outcome = Outcome::Compared;
  if (!runPackets) return r;
  std::optional<OracleProgram> unoptimized;
  // sift's verdicts come from the decoded interpreter (what `sift -r
  // --engine vm` runs); tests/unit/vm holds vm::run and it to bpf_filter.
  const vm::Prepared prepared(*validated);
  r.sourceVerdicts.assign(set.sources.size(), 0);
  for (size_t i = 0; i < set.packets.size(); ++i) {
    const TestPacket& p = set.packets[i];
    uint32_t caplen = static_cast<uint32_t>(p.data.size());
    uint32_t want = oracleRun(r.oracleInsns, p.data.data(), caplen, p.wireLength);
    uint32_t got = prepared.run(std::span<const uint8_t>(p.data.data(), p.data.size()), p.wireLength);
    if (want != 0) {
      ++r.accepted;
    } else {
      ++r.rejected;
    }
    r.sourceVerdicts[p.source] |= want != 0 ? 1 : 2;
    if (want == got) {
      ++r.agree;
    } else {
      if (!unoptimized) unoptimized = oracleCompile(e.text, set.dlt, kSnaplen, false);
      if (unoptimized->ok && oracleRun(unoptimized->insns, p.data.data(), caplen, p.wireLength) == got) {
        ++r.asUnoptimized;
        continue;
      }
      ++r.disagree;
      if (r.sourceDisagreements.empty()) r.sourceDisagreements.assign(set.sources.size(), 0);
      ++r.sourceDisagreements[p.source];
      if (r.disagreeing.size() < 100) r.disagreeing.push_back(i);
      if (r.samples.size() < 3)
        r.samples.push_back({i, want, got, oracleRun(r.siftInsns, p.data.data(), caplen, p.wireLength)});
    }
  }
  return r;
}

// Runs every (expression, link type) pair on `jobs` threads; results come
// back in a fixed order so the report is the same on every run.
std::vector<ItemResult> runAll(const std::vector<Expression>& exprs, const std::vector<PacketSet>& sets,
                               bool runPackets, unsigned jobs) {
  size_t total = exprs.size() * sets.size();
  std::vector<ItemResult> results(total);
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i; (i = next.fetch_add(1)) < total;)
      results[i] = runItem(exprs[i / sets.size()], sets[i % sets.size()], runPackets);
  };
  std::vector<std::thread> threads;
  for (unsigned t = 1; t < jobs; ++t) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
  return results;
}

// ---- reporting ------------------------------------------------------------

std::string hexDump(const std::vector<uint8_t>& data, size_t limit = 128) {
  std::string out;
  char buf[8];
  for (size_t i = 0; i < data.size() && i < limit; i += 16) {
    std::snprintf(buf, sizeof buf, "  %04zx:", i);
    out += buf;
    for (size_t j = i; j < i + 16 && j < data.size() && j < limit; ++j) {
      std::snprintf(buf, sizeof buf, " %02x", data[j]);
      out += buf;
    }
    out += '\n';
  }
  if (data.size() > limit) out += "  ... (" + std::to_string(data.size()) + " bytes in all)\n";
  return out;
}

std::string indent(const std::string& text, const char* prefix = "    ") {
  std::string out;
  std::stringstream ss(text);
  std::string line;
  while (std::getline(ss, line)) out += prefix + line + "\n";
  return out;
}

std::string listingOf(const std::vector<bpf::Insn>& insns) {
  return indent(bpf::listing(bpf::Program{insns}, bpf::ListingFormat::Image));
}

void reportFailure(const Expression& e, const PacketSet& set, const ItemResult& r) {
  std::printf("FAIL %s on %s (%s)\n", e.text.c_str(), set.name.c_str(), e.origin.c_str());
  switch (r.outcome) {
    case Outcome::SiftRejects:
      std::printf("  libpcap compiles it, sift refuses it:\n%s", indent(r.siftError).c_str());
      std::printf("  libpcap's program:\n%s", listingOf(r.oracleInsns).c_str());
      break;
    case Outcome::SiftAccepts:
      std::printf("  libpcap refuses it (%s), sift compiles it:\n%s", r.oracleError.c_str(),
                  listingOf(r.siftInsns).c_str());
      break;
    case Outcome::SiftInvalid:
    case Outcome::SiftUnstable:
    case Outcome::SiftInconsistent:
      std::printf("  %s\n  sift's program:\n%s", r.siftError.c_str(), listingOf(r.siftInsns).c_str());
      break;
    case Outcome::Compared: {
      std::printf("  %zu of %zu packets disagree\n", r.disagree, r.agree + r.disagree);
      for (const auto& d : r.samples) {
        const TestPacket& p = set.packets[d.packet];
        std::printf("  packet %s #%u (caplen %zu, wirelen %u): libpcap returns %u, sift returns %u%s\n",
                    set.sources[p.source].c_str(), p.index, p.data.size(), p.wireLength, d.oracle, d.sift,
                    d.oracleOnSift == d.sift
                        ? ""
                        : " (libpcap's bpf_filter on sift's program differs from sift's VM)");
        std::printf("%s", hexDump(p.data).c_str());
      }
      std::printf("  libpcap's program:\n%s", listingOf(r.oracleInsns).c_str());
      std::printf("  sift's program:\n%s", listingOf(r.siftInsns).c_str());
      break;
    }
    case Outcome::BothReject:
    case Outcome::NeverMatches:
    case Outcome::WrongRefusal:
    case Outcome::LinuxOnly:
    case Outcome::MasterOnly:
      break;
  }
}

bool isFailure(const ItemResult& r) {
  return r.outcome == Outcome::SiftRejects || r.outcome == Outcome::SiftAccepts ||
         r.outcome == Outcome::SiftInvalid || r.outcome == Outcome::SiftUnstable ||
         r.outcome == Outcome::SiftInconsistent ||
         (r.outcome == Outcome::Compared && r.disagree > 0);
}

const char* outcomeName(Outcome o) {
  switch (o) {
    case Outcome::SiftRejects:
      return "sift refuses what libpcap compiles";
    case Outcome::SiftAccepts:
      return "sift compiles what libpcap refuses";
    case Outcome::SiftInvalid:
      return "sift's program is invalid";
    case Outcome::SiftUnstable:
      return "sift's output is not deterministic";
    case Outcome::SiftInconsistent:
      return "sift's optimized and unoptimized programs disagree (libpcap master only)";
    case Outcome::MasterOnly:
      return "libpcap master only: libpcap 1.10.3 refuses it as a syntax error; sift compiles it and checks "
             "its own programs";
    case Outcome::Compared:
      return "verdicts differ";
    case Outcome::BothReject:
      return "both reject";
    case Outcome::NeverMatches:
      return "sift proves it never matches; libpcap's program accepts no packet";
    case Outcome::WrongRefusal:
      return "libpcap -O wrongly says it rejects all packets; sift follows libpcap -O0";
    case Outcome::LinuxOnly:
      return "Linux ancillary loads: libpcap's program rejects every packet of a file; sift compiles it for live "
             "Linux sockets only";
  }
  return "";
}

// ---- per-file accounting of the shared captures -----------------------------

const char* fileStatus(const SharedFile& f) {
  if (!f.opened) return "unreadable";
  if (!f.error.empty()) return "damaged";
  if (f.packets == 0) return "empty";
  if (f.set < 0) return "untested";
  return "ok";
}

// Adds up, per shared file, the cases run over its packets: results are
// indexed expression * sets + set, as runAll returns them.
void accountFiles(SharedCaptures& shared, const std::vector<PacketSet>& sets,
                  const std::vector<ItemResult>& results) {
  for (SharedFile& f : shared.files) {
    if (f.set < 0 || f.used == 0) continue;
    for (size_t i = static_cast<size_t>(f.set); i < results.size(); i += sets.size()) {
      const ItemResult& r = results[i];
      if (r.outcome != Outcome::Compared || r.sourceVerdicts.size() <= f.source) continue;
      ++f.expressions;
      f.verdicts += f.used;
      uint8_t seen = r.sourceVerdicts[f.source];
      f.accepting += (seen & 1) != 0;
      f.rejecting += (seen & 2) != 0;
      f.discriminating += seen == 3;
      if (!r.sourceDisagreements.empty()) f.disagreements += r.sourceDisagreements[f.source];
    }
  }
}

// Why a file misses the bar, or "" when it meets it or the bar does not
// apply (no bar, no packets, or a link type left out by --linktypes).
std::string belowBar(const Options& o, const SharedFile& f) {
  if (o.fileBar == 0 || !f.opened || f.packets == 0) return {};
  if (f.set < 0)
    return o.allLinktypes ? "link type " + linktypeName(f.dlt) + " is not among the tested link types" : "";
  if (f.expressions >= o.fileBar) return {};
  return std::to_string(f.expressions) + " expressions compile with both on " + linktypeName(f.dlt) +
         ", fewer than " + std::to_string(o.fileBar);
}

bool writeFileReport(const std::string& path, const SharedCaptures& shared) {
  std::ofstream out(path);
  if (!out) return false;
  out << "file\tmanifest_linktype\tdlt\tdlt_name\tstatus\tpackets_read\tpackets_used\texpressions\t"
         "accepting\trejecting\tdiscriminating\tverdicts\tdisagreements\tlibpcap_error\n";
  for (const SharedFile& f : shared.files) {
    std::string error = f.error;
    std::replace(error.begin(), error.end(), '\t', ' ');
    std::replace(error.begin(), error.end(), '\n', ' ');
    out << f.name << '\t' << f.manifestLinktypes << '\t' << (f.opened ? std::to_string(f.dlt) : "") << '\t'
        << (f.opened ? linktypeName(f.dlt) : "") << '\t' << fileStatus(f) << '\t' << f.packets << '\t' << f.used
        << '\t' << f.expressions << '\t' << f.accepting << '\t' << f.rejecting << '\t' << f.discriminating << '\t' << f.verdicts << '\t' << f.disagreements
        << '\t' << error << '\n';
  }
  return static_cast<bool>(out);
}

// Prints the files libpcap refuses or stops reading, the files below the
// bar and a summary line; returns how many files are below the bar.
size_t reportFiles(const Options& o, const SharedCaptures& shared) {
  std::map<std::string, size_t> byStatus;
  std::vector<size_t> perFile, accepting, discriminating;
  size_t verdicts = 0, disagreements = 0, below = 0;
  std::vector<std::string> belowLines, damagedLines;
  for (const SharedFile& f : shared.files) {
    ++byStatus[fileStatus(f)];
    if (!f.opened || !f.error.empty())
      damagedLines.push_back(f.name + ": " + fileStatus(f) + " after " + std::to_string(f.packets) +
                             " packets: " + f.error);
    if (f.set >= 0 && f.used > 0) {
      perFile.push_back(f.expressions);
      accepting.push_back(f.accepting);
      if (f.used > 1) discriminating.push_back(f.discriminating);
    }
    verdicts += f.verdicts;
    disagreements += f.disagreements;
    if (std::string why = belowBar(o, f); !why.empty()) {
      ++below;
      belowLines.push_back(f.name + ": " + why);
    }
  }
  if (!o.quiet && !damagedLines.empty()) {
    std::printf("\nshared files libpcap refuses or stops reading:\n");
    for (const auto& l : damagedLines) std::printf("  %s\n", l.c_str());
  }
  if (!belowLines.empty()) {
    std::printf("\nshared files below the bar of %zu expressions:\n", o.fileBar);
    for (const auto& l : belowLines) std::printf("  %s\n", l.c_str());
  }
  auto stats = [](std::vector<size_t> v) {
    if (v.empty()) return std::string("none");
    std::sort(v.begin(), v.end());
    return "min " + std::to_string(v.front()) + ", median " + std::to_string(v[v.size() / 2]) + ", max " +
           std::to_string(v.back());
  };
  std::string statuses;
  for (const auto& [name, n] : byStatus) statuses += (statuses.empty() ? "" : ", ") + std::to_string(n) + " " + name;
  std::printf(
      "shared files: %zu (%s); %zu tested with packets: expressions per file %s; of them accepting some "
      "packet of the file %s; accepting one packet and rejecting another (files of 2 or more packets) %s; "
      "%zu verdicts, %zu disagree; %zu below the bar of %zu\n",
      shared.files.size(), statuses.c_str(), perFile.size(), stats(perFile).c_str(), stats(accepting).c_str(),
      stats(discriminating).c_str(),
      verdicts, disagreements, below, o.fileBar);
  return below;
}

int runDifferential(const Options& o, const std::vector<Expression>& exprs) {
  auto t0 = std::chrono::steady_clock::now();
  SharedCaptures shared;
  std::vector<PacketSet> sets = loadPackets(o, shared);
  if (!shared.available) std::printf("%s\n", shared.note.c_str());
  if (!o.quiet) {
    std::printf("oracle: %s\n", oracleVersion().c_str());
    if (shared.available)
      std::printf("shared captures: %zu files read, %zu refused by libpcap\n", shared.filesRead,
                  shared.filesFailed);
    for (const auto& s : sets)
      std::printf("  %-10s %5zu generated + %5zu from %3zu shared files\n", s.name.c_str(), s.generated,
                  s.shared, s.files);
  }
  auto results = runAll(exprs, sets, true, o.jobs);
  size_t verdicts = 0, agree = 0, disagree = 0, bothReject = 0, failures = 0, reported = 0;
  size_t asUnoptimized = 0, neverMatches = 0, wrongRefusals = 0, linuxOnly = 0, masterOnly = 0;
  size_t comparedUnwritten = 0;
  std::map<Outcome, size_t> failureKinds;
  std::vector<std::string> failureIndex;
  struct Coverage {
    size_t accepted = 0, rejected = 0, compared = 0;
  };
  std::vector<Coverage> coverage(exprs.size());
  for (size_t i = 0; i < results.size(); ++i) {
    const ItemResult& r = results[i];
    const Expression& e = exprs[i / sets.size()];
    const PacketSet& s = sets[i % sets.size()];
    verdicts += r.agree + r.disagree + r.asUnoptimized;
    agree += r.agree;
    disagree += r.disagree;
    asUnoptimized += r.asUnoptimized;
    if (r.outcome == Outcome::BothReject) ++bothReject;
    if (r.outcome == Outcome::NeverMatches) ++neverMatches;
    if (r.outcome == Outcome::WrongRefusal) ++wrongRefusals;
    if (r.outcome == Outcome::LinuxOnly) ++linuxOnly;
    if (r.outcome == Outcome::MasterOnly) ++masterOnly;
    if (r.outcome == Outcome::Compared && r.oracleReadsUnwritten) ++comparedUnwritten;
    if (r.outcome == Outcome::Compared) {
      Coverage& c = coverage[i / sets.size()];
      c.accepted += r.accepted, c.rejected += r.rejected, ++c.compared;
    }
    if (!isFailure(r)) continue;
    ++failures;
    ++failureKinds[r.outcome];
    failureIndex.push_back(s.name + "\t" + e.text + "\t" + outcomeName(r.outcome) +
                           (r.outcome == Outcome::Compared
                                ? " (" + std::to_string(r.disagree) + " packets)"
                                : ""));
    if (reported++ < o.maxReports) reportFailure(e, s, r);
    if (!o.dumpDir.empty() && !r.disagreeing.empty()) {
      std::vector<gen::GeneratedPacket> packets;
      for (size_t index : r.disagreeing) {
        gen::GeneratedPacket g;
        g.data = s.packets[index].data;
        g.wireLength = s.packets[index].wireLength;
        g.seconds = static_cast<int64_t>(index);
        packets.push_back(std::move(g));
      }
      std::string path = o.dumpDir + "/" + s.name + "-" + std::to_string(failures) + ".pcap";
      std::string error;
      if (gen::writePcapFile(path, s.dlt, kSnaplen, packets, &error)) {
        failureIndex.back() += "\t" + path;
      } else {
        std::fprintf(stderr, "sift-difftest: %s\n", error.c_str());
      }
    }
  }
  if (o.expectDefects) {
    // Each documented defect must still show: somewhere libpcap -O and -O0
    // disagree (or -O wrongly refuses) and sift follows -O0.
    for (size_t i = 0; i < exprs.size(); ++i) {
      size_t shown = 0;
      for (size_t j = 0; j < sets.size(); ++j) {
        const ItemResult& r = results[i * sets.size() + j];
        shown += r.asUnoptimized + (r.outcome == Outcome::WrongRefusal);
      }
      if (shown == 0) {
        ++failures;
        failureIndex.push_back("*\t" + exprs[i].text + "\tlibpcap's defect does not show on any packet");
      }
    }
  }
  if (failures > 0) {
    std::printf("\n%zu failing (expression, link type) pairs:\n", failures);
    for (const auto& f : failureIndex) std::printf("  %s\n", f.c_str());
    for (const auto& [kind, n] : failureKinds) std::printf("  %zu: %s\n", n, outcomeName(kind));
  }
  if (o.counts) {
    std::printf("\n%9s %9s  %s\n", "accepted", "rejected",
                "expression (packets over all link types where both compile)");
    for (size_t i = 0; i < exprs.size(); ++i)
      if (coverage[i].compared != 0)
        std::printf("%9zu %9zu  %s\n", coverage[i].accepted, coverage[i].rejected, exprs[i].text.c_str());
  }
  if (!o.quiet) {
    std::vector<std::string> neverAccept, neverReject;
    for (size_t i = 0; i < exprs.size(); ++i) {
      if (coverage[i].compared == 0) continue;
      if (coverage[i].accepted == 0) neverAccept.push_back(exprs[i].text);
      if (coverage[i].rejected == 0) neverReject.push_back(exprs[i].text);
    }
    std::printf("\ncoverage: %zu expressions accept no packet on any link type, %zu reject none\n",
                neverAccept.size(), neverReject.size());
    for (const auto& t : neverAccept) std::printf("  never accepts: %s\n", t.c_str());
    for (const auto& t : neverReject) std::printf("  never rejects: %s\n", t.c_str());
  }
  size_t belowTheBar = 0;
  if (shared.available) {
    accountFiles(shared, sets, results);
    if (!o.fileReport.empty() && !writeFileReport(o.fileReport, shared)) {
      std::fprintf(stderr, "sift-difftest: cannot write '%s'\n", o.fileReport.c_str());
      ++failures;
    }
    belowTheBar = reportFiles(o, shared);
  } else if (o.fileBar != 0) {
    std::printf("per-file bar not checked: %s\n", shared.note.c_str());
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf(
      "differential: %zu expressions x %zu linktypes, %zu packet verdicts, %zu agree, %zu as libpcap -O0 where "
      "its optimizer changes the verdict, %zu disagree, %zu both-reject, %zu proved never-matching, "
      "%zu wrongly refused by libpcap, %zu Linux-live only, %zu libpcap-master only (sift -O0 against -O1), "
      "%zu compared where libpcap reads unwritten scratch (its verdicts with zeroed memory), "
      "%zu failing pairs (%.1f s)\n",
      exprs.size(), sets.size(), verdicts, agree, asUnoptimized, disagree, bothReject, neverMatches,
      wrongRefusals, linuxOnly, masterOnly, comparedUnwritten, failures, seconds);
  return failures == 0 && belowTheBar == 0 ? 0 : 1;
}

// ---- --sizes ----------------------------------------------------------------

int runSizes(const Options& o, const std::vector<Expression>& exprs) {
  std::vector<PacketSet> sets;
  for (uint32_t dlt : o.linktypes) {
    PacketSet s;
    s.dlt = dlt;
    s.name = gen::genLinktypeName(dlt);
    sets.push_back(std::move(s));
  }
  auto results = runAll(exprs, sets, false, o.jobs);
  struct Summary {
    size_t count = 0, oracleTotal = 0, siftTotal = 0, smaller = 0, equal = 0, larger = 0;
    double logSum = 0;
  };
  std::vector<Summary> summaries(sets.size());
  if (!o.markdown)
    std::printf("%-10s %7s %7s %7s  %s\n", "linktype", "libpcap", "sift", "ratio", "expression");
  for (size_t i = 0; i < results.size(); ++i) {
    const ItemResult& r = results[i];
    if (r.outcome != Outcome::Compared) continue;
    Summary& s = summaries[i % sets.size()];
    size_t a = r.oracleInsns.size(), b = r.siftInsns.size();
    double ratio = static_cast<double>(b) / static_cast<double>(a);
    ++s.count, s.oracleTotal += a, s.siftTotal += b, s.logSum += std::log(ratio);
    if (b < a)
      ++s.smaller;
    else if (b == a)
      ++s.equal;
    else
      ++s.larger;
    if (!o.markdown)
      std::printf("%-10s %7zu %7zu %7.3f  %s\n", sets[i % sets.size()].name.c_str(), a, b, ratio,
                  exprs[i / sets.size()].text.c_str());
  }
  if (o.markdown) {
    std::printf(
        "| link type | expressions | libpcap insns | sift insns | total ratio | geomean ratio | sift smaller "
        "| equal | sift larger |\n");
    std::printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  } else {
    std::printf("\n");
  }
  Summary all;
  for (size_t i = 0; i < sets.size(); ++i) {
    const Summary& s = summaries[i];
    all.count += s.count, all.oracleTotal += s.oracleTotal, all.siftTotal += s.siftTotal,
        all.logSum += s.logSum;
    all.smaller += s.smaller, all.equal += s.equal, all.larger += s.larger;
  }
  auto line = [&](const std::string& name, const Summary& s) {
    if (s.count == 0) return;
    double total = static_cast<double>(s.siftTotal) / static_cast<double>(s.oracleTotal);
    double geo = std::exp(s.logSum / static_cast<double>(s.count));
    if (o.markdown)
      std::printf("| %s | %zu | %zu | %zu | %.3f | %.3f | %zu | %zu | %zu |\n", name.c_str(), s.count,
                  s.oracleTotal, s.siftTotal, total, geo, s.smaller, s.equal, s.larger);
    else
      std::printf(
          "sizes %-10s %4zu expressions: libpcap %6zu insns, sift %6zu insns, total ratio %.3f, geomean "
          "ratio %.3f (sift smaller %zu, equal %zu, larger %zu)\n",
          name.c_str(), s.count, s.oracleTotal, s.siftTotal, total, geo, s.smaller, s.equal, s.larger);
  };
  for (size_t i = 0; i < sets.size(); ++i) line(sets[i].name, summaries[i]);
  line("all", all);
  if (o.markdown && !sets.empty()) {
    // The expressions where the first link type's counts differ most.
    struct Row {
      double ratio;
      size_t oracle, sift;
      const std::string* text;
    };
    std::vector<Row> rows;
    for (size_t i = 0; i < results.size(); i += sets.size())
      if (results[i].outcome == Outcome::Compared)
        rows.push_back({static_cast<double>(results[i].siftInsns.size()) /
                            static_cast<double>(results[i].oracleInsns.size()),
                        results[i].oracleInsns.size(), results[i].siftInsns.size(),
                        &exprs[i / sets.size()].text});
    std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.ratio > b.ratio; });
    auto table = [&](const char* title, auto begin, auto end) {
      std::printf("\n%s on %s:\n\n| expression | libpcap | sift | ratio |\n|---|---:|---:|---:|\n", title,
                  sets[0].name.c_str());
      for (auto it = begin; it != end; ++it) {
        std::string text = *it->text;
        for (size_t p = 0; (p = text.find('|', p)) != std::string::npos; p += 2) text.replace(p, 1, "\\|");
        std::printf("| `%s` | %zu | %zu | %.2f |\n", text.c_str(), it->oracle, it->sift, it->ratio);
      }
    };
    size_t n = std::min<size_t>(12, rows.size());
    table("Largest sift/libpcap ratios", rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(n));
    table("Smallest sift/libpcap ratios", rows.rbegin(), rows.rbegin() + static_cast<std::ptrdiff_t>(n));
  }
  return 0;
}

}  // namespace
}  // namespace sift::difftest

int main(int argc, char** argv) {
  using namespace sift::difftest;
  int exitCode = 0;
  auto options = parseOptions(argc, argv, exitCode);
  if (!options) return exitCode;
  std::vector<Expression> exprs;
  if (!loadCorpus(*options, exprs)) return 66;
  if (exprs.empty()) {
    std::fprintf(stderr, "sift-difftest: no expressions to test\n");
    return 66;
  }
  return options->sizes ? runSizes(*options, exprs) : runDifferential(*options, exprs);
}
