// The pass pipeline: which passes run, in what order, and the loop that
// runs them to a fixed point with verification between passes.
#include "optimizer/pipeline.h"

#include "optimizer/passes.h"

namespace sift::optimizer {

namespace {

struct PassEntry {
  const char* name;
  Change (*run)(ir::Program&, Analyses&);
  int minLevel;
  /// The pass looks only at the graph's edges and its returns: a change
  /// to statements and tests alone cannot give it anything to do.
  bool edgesOnly = false;
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

// Speed-first passes that may trade size for fewer comparisons per packet;
// each runs once after the fixed point, followed by the clean-ups.
constexpr PassEntry kFinishing[] = {
    {"search-sets", searchSets, 2},
    {"merge-blocks", mergeBlocks, 2},
    {"remove-unreachable", removeUnreachable, 2},
};

size_t insnCount(const ir::Program& p) {
  size_t n = 0;
  for (const auto& b : p.blocks) n += b.stmts.size() + 1;
  return n;
}

}  // namespace

size_t measure(const ir::Program& p) { return p.blocks.size() + insnCount(p); }

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

Status optimize(ir::Program& program, const Options& options) {
  if (options.level <= 0) return okStatus();
  // A loop inside a block (protochain's header walk) is opaque to the
  // passes' value facts; as libpcap turns its optimizer off for such
  // programs, they stay as lowered.
  if (ir::hasInnerJumps(program)) return okStatus();
  if (options.verify) {
    if (std::string err = ir::verify(program); !err.empty())
      return Diagnostic::error("internal error: invalid IR before optimization: " + err);
  }
  // A pass that changed nothing need not run again until another pass
  // changes what it looks at: `clean[i]` is the generation at which pass i
  // last found nothing to do, counted in changes of any kind, or in
  // changes of edges for a pass that looks only at them.
  constexpr size_t kCount = sizeof(kPasses) / sizeof(kPasses[0]);
  size_t generation = 1, edgeGeneration = 1;
  size_t clean[kCount] = {};
  size_t size = measure(program), before = size;
  Analyses analyses(program);
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
    // the measure strictly smaller (passes that only rearrange run once).
    if (!changedInRound || size >= before) break;
    before = size;
  }
  for (const auto& e : kFinishing) {
    if (options.level < e.minLevel) continue;
    auto changed = runPass(e, program, analyses, options, true, size);
    if (!changed) return changed.takeError();
  }
  return okStatus();
}

}  // namespace sift::optimizer
