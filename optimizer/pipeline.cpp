// The pass pipeline: which passes run, in what order, and the loop that
// runs them to a fixed point with verification between passes.
#include "optimizer/pipeline.h"

#include <algorithm>
#include <span>

#include "optimizer/passes.h"
#include "optimizer/values.h"

namespace sift::optimizer {

namespace {

struct PassEntry {
  const char* name;
  Change (*run)(ir::Program&, Analyses&);
  int minLevel;
  /// The pass looks only at the graph's edges and its returns: a change
  /// to statements and tests alone cannot give it anything to do.
  bool edgesOnly = false;
  /// The pass may make the program larger (a speed-first rewrite).
  bool mayGrow = false;
  /// A finishing clean-up: runs only when the finishing pass before it
  /// (the last one that is not a clean-up) changed the program.
  bool cleanup = false;
};

// The pipeline, in order. These passes never make the program larger and
// run round after round until a fixed point.
constexpr PassEntry kPasses[] = {
    {"fold-reject-tails", foldRejectTails, 1, true},
    {"thread-jumps", threadJumps, 1},
    {"remove-unreachable", removeUnreachable, 1, true},
    {"simplify-blocks", simplifyBlocks, 1},
    {"group-sets", groupSets, 1},
    {"hoist-tests", hoistTests, 1},
    {"merge-blocks", mergeBlocks, 1},
    {"remove-unreachable", removeUnreachable, 1, true},
};

// Passes that run once after the fixed point, each followed by its
// clean-ups: the speed-first search-sets, which may trade size for fewer
// comparisons per packet, and share-shifted-tails, whose rewrites would
// hide from the looping passes that two tails read the same field.
constexpr PassEntry kFinishing[] = {
    {.name = "search-sets", .run = searchSets, .minLevel = 2, .mayGrow = true},
    {.name = "merge-blocks", .run = mergeBlocks, .minLevel = 2, .cleanup = true},
    {.name = "remove-unreachable", .run = removeUnreachable, .minLevel = 2, .cleanup = true},
    {.name = "share-shifted-tails", .run = shareShiftedTails, .minLevel = 1},
    {.name = "narrow-loads", .run = narrowLoads, .minLevel = 1},
    {.name = "share-suffixes", .run = shareSuffixes, .minLevel = 1},
};

size_t insnCount(const ir::Program& p) {
  size_t n = 0;
  for (const auto& b : p.blocks) {
    n += b.stmts.size() + 1;
    for (const auto& s : b.stmts)
      if (isLoopStmt(s)) n += loopLength(s) - 1;
  }
  return n;
}

constexpr uint16_t kJmpClass = 0x05, kJa = 0x00;
constexpr bool isJump(const bpf::Insn& i) { return (i.code & 0x07) == kJmpClass; }

/// Replaces the loop in each block that holds one (the statements from the
/// first jump or jump target to the last one) by one loop statement
/// (values.h), keeping its code in `loops`. Returns false, changing
/// nothing, when a loop does not have the form the loop statement stands
/// for: it must read a scratch cell only after writing it on the same
/// straight run, and its jumps must stay within it.
bool outlineLoops(ir::Program& p, std::vector<std::vector<bpf::Insn>>& loops) {
  struct Region {
    ir::BlockId block;
    size_t from, to;  // [from, to): `to` may be a jump target (what follows)
    RegMask cells;
  };
  std::vector<Region> regions;
  std::vector<uint8_t> target;
  for (ir::BlockId id = 0; id < p.blocks.size(); ++id) {
    const auto& stmts = p.blocks[id].stmts;
    const size_t n = stmts.size();
    size_t from = n, to = 0;
    target.assign(n + 1, 0);
    for (size_t i = 0; i < n; ++i) {
      if (!isJump(stmts[i])) continue;
      const bpf::Insn& in = stmts[i];
      const bool ja = (in.code & 0xf0) == kJa;
      const uint64_t targets[2] = {ja ? uint32_t(i + 1 + in.k) : i + 1 + in.jt, i + 1 + in.jf};
      from = std::min(from, i);
      to = std::max(to, i + 1);
      for (uint64_t t : std::span(targets, ja ? 1 : 2)) {
        if (t > n) return false;
        target[t] = 1;
        from = std::min<size_t>(from, t);
        to = std::max<size_t>(to, t);
      }
    }
    if (from >= to) continue;
    if (loops.size() + regions.size() >= 0xffff || to - from >= 0xffff) return false;
    // Scratch reads: each must follow a write of its cell since the last
    // point another path can join.
    RegMask cells = 0, written = 0;
    for (size_t i = from; i < to; ++i) {
      if (target[i]) written = 0;
      const uint16_t c = stmts[i].code;
      const RegMask cell = bit(static_cast<int>(stmts[i].k & 15));
      if (c == 0x02 || c == 0x03) cells |= cell, written |= cell;  // st, stx
      if ((c == 0x60 || c == 0x61) && !(written & cell)) return false;  // ld M[k], ldx M[k]
    }
    regions.push_back({id, from, to, cells});
  }
  for (const Region& r : regions) {
    auto& stmts = p.blocks[r.block].stmts;
    const uint32_t index = static_cast<uint32_t>(loops.size());
    loops.emplace_back(stmts.begin() + static_cast<ptrdiff_t>(r.from), stmts.begin() + static_cast<ptrdiff_t>(r.to));
    stmts.erase(stmts.begin() + static_cast<ptrdiff_t>(r.from) + 1, stmts.begin() + static_cast<ptrdiff_t>(r.to));
    stmts[r.from] = loopStmt(index, static_cast<uint32_t>(r.to - r.from), r.cells);
  }
  return true;
}

/// Puts the loops outlineLoops() took out back in place of their loop
/// statements, wherever the passes have left them. A loop's jumps are
/// relative and stay within it; those that left it for what followed it
/// land on what follows it now.
void restoreLoops(ir::Program& p, const std::vector<std::vector<bpf::Insn>>& loops) {
  for (auto& b : p.blocks) {
    if (std::none_of(b.stmts.begin(), b.stmts.end(), isLoopStmt)) continue;
    std::vector<bpf::Insn> out;
    for (const auto& s : b.stmts) {
      if (!isLoopStmt(s)) {
        out.push_back(s);
        continue;
      }
      const auto& code = loops[loopIndex(s)];
      out.insert(out.end(), code.begin(), code.end());
    }
    b.stmts = std::move(out);
  }
}

}  // namespace

size_t measure(const ir::Program& p) { return p.blocks.size() + insnCount(p); }

uint64_t pathCount(const ir::Program& p, const std::vector<ir::BlockId>& rpo) {
  std::vector<uint64_t> paths(p.blocks.size(), 0);
  for (auto it = rpo.rbegin(); it != rpo.rend(); ++it) {
    const ir::Block& b = p.blocks[*it];
    uint64_t n = 1;
    if (b.termKind == ir::TermKind::Branch) {
      n = paths[b.jt];
      if (b.jf != b.jt) n = paths[b.jf] > UINT64_MAX - n ? UINT64_MAX : n + paths[b.jf];
    }
    paths[*it] = n;
  }
  return p.entry < paths.size() ? paths[p.entry] : 0;
}

std::vector<std::string> passNames(int level) {
  std::vector<std::string> names;
  for (const auto& e : kPasses)
    if (level >= e.minLevel) names.push_back(e.name);
  for (const auto& e : kFinishing)
    if (level >= e.minLevel) names.push_back(e.name);
  return names;
}

namespace {

/// Runs one pass with verification, the size check and the statistics.
/// `size` is the program's measure, kept up to date: a pass that reports
/// no change leaves it as it was (checked when verifying), so a large
/// program is not scanned once more for every pass that found nothing.
Expected<Change> runPass(const PassEntry& e, ir::Program& program, Analyses& analyses, const Options& options,
                         bool mayGrow, size_t& size) {
  const size_t blocksBefore = program.blocks.size(), insnsBefore = options.stats ? insnCount(program) : 0;
  const Change change = e.run(program, analyses);
  if (change == Change::Statements || change == Change::Settled) analyses.statementsChanged();
  if (change == Change::Edges) analyses.everythingChanged();
  if (options.verify) {
    if (std::string err = ir::verify(program); !err.empty())
      return Diagnostic::error(std::string("internal error: pass '") + e.name + "' broke the IR: " + err);
    if (change == Change::Settled) {
      const size_t before = measure(program);
      const std::string text = ir::print(program);
      if (e.run(program, analyses) != Change::None || measure(program) != before || ir::print(program) != text)
        return Diagnostic::error(std::string("internal error: pass '") + e.name +
                                 "' said it had settled, but a second run changed the program");
    }
  }
  if (change != Change::None || options.verify) {
    const size_t now = measure(program);
    if (change == Change::None && now != size)
      return Diagnostic::error(std::string("internal error: pass '") + e.name + "' changed the program but said it did not");
    if (!mayGrow && now > size)
      return Diagnostic::error(std::string("internal error: pass '") + e.name + "' made the program larger");
    size = now;
  }
  if (options.stats) {
    PassStats* s = nullptr;
    for (auto& existing : *options.stats)
      if (existing.pass == e.name) s = &existing;
    if (!s) s = &options.stats->emplace_back(PassStats{e.name});
    ++s->runs;
    s->blocksRemoved += blocksBefore > program.blocks.size() ? blocksBefore - program.blocks.size() : 0;
    size_t insnsAfter = insnCount(program);
    s->insnsRemoved += insnsBefore > insnsAfter ? insnsBefore - insnsAfter : 0;
  }
  if (options.afterPass) options.afterPass(e.name, program);
  return change;
}

}  // namespace

namespace {
Status optimizeLoopFree(ir::Program& program, const Options& options);
}  // namespace

Status optimize(ir::Program& program, const Options& options) {
  if (options.level <= 0) return okStatus();
  if (options.verify) {
    if (std::string err = ir::verify(program); !err.empty())
      return Diagnostic::error("internal error: invalid IR before optimization: " + err);
  }
  // A loop inside a block (protochain's header walk) goes through the
  // passes as one statement whose effect they know only in outline.
  std::vector<std::vector<bpf::Insn>> loops;
  if (ir::hasInnerJumps(program)) {
    ir::Program outlined = program;
    if (!outlineLoops(outlined, loops)) return okStatus();  // left as lowered
    Options inner = options;
    if (options.afterPass)
      inner.afterPass = [&](const std::string& pass, const ir::Program& p) {
        ir::Program shown = p;
        restoreLoops(shown, loops);
        options.afterPass(pass, shown);
      };
    if (Status s = optimizeLoopFree(outlined, inner); !s) return s;
    restoreLoops(outlined, loops);
    if (options.verify) {
      if (std::string err = ir::verify(outlined); !err.empty())
        return Diagnostic::error("internal error: invalid IR after putting loops back: " + err);
    }
    program = std::move(outlined);
    return okStatus();
  }
  return optimizeLoopFree(program, options);
}

namespace {

Status optimizeLoopFree(ir::Program& program, const Options& options) {
  // A pass that changed nothing need not run again until another pass
  // changes what it looks at: `clean[i]` is the generation at which pass i
  // last found nothing to do, counted in changes of any kind, or in
  // changes of edges for a pass that looks only at them.
  constexpr size_t kCount = sizeof(kPasses) / sizeof(kPasses[0]);
  size_t generation = 1, edgeGeneration = 1;
  size_t clean[kCount] = {};
  size_t size = measure(program), before = size;
  Analyses analyses(program);
  uint64_t pathsBefore = pathCount(program, analyses.rpo());
  for (;;) {
    bool changedInRound = false;
    for (size_t i = 0; i < kCount; ++i) {
      const auto& e = kPasses[i];
      const size_t& current = e.edgesOnly ? edgeGeneration : generation;
      if (options.level < e.minLevel || clean[i] == current) continue;
      auto change = runPass(e, program, analyses, options, false, size);
      if (!change) return change.takeError();
      if (*change != Change::None) {
        ++generation;
        if (*change == Change::Edges) ++edgeGeneration;
        changedInRound = true;
        // A pass at its own fixed point need not run again until another
        // pass changes something.
        if (*change == Change::Settled) clean[i] = current;
      } else {
        clean[i] = current;
      }
    }
    // Fixed point: a round that changed nothing, or one that did not make
    // (size, paths) strictly smaller in lexicographic order (passes that
    // only rearrange run once). A round of jump threading that leaves the
    // size as it was but removes paths can let the next round find tests
    // decided on every edge left, whose blocks then go. With more than
    // 2^64 paths the count saturates and only the size counts.
    if (!changedInRound || size > before) break;
    const uint64_t paths = pathCount(program, analyses.rpo());
    if (size == before && (paths >= pathsBefore || paths == UINT64_MAX)) break;
    before = size;
    pathsBefore = paths;
  }
  bool lastChanged = false;
  for (const auto& e : kFinishing) {
    if (options.level < e.minLevel || (e.cleanup && !lastChanged)) continue;
    auto changed = runPass(e, program, analyses, options, e.mayGrow, size);
    if (!changed) return changed.takeError();
    if (!e.cleanup) lastChanged = *changed != Change::None;
  }
  return okStatus();
}

}  // namespace

}  // namespace sift::optimizer
