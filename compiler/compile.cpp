// The compile() pipeline: text -> AST -> resolved AST -> IR -> optimized IR
// -> classic BPF, each stage inside this one call's own state.
#include <memory>
#include <vector>

#include "compiler/emit.h"
#include "compiler/lower.h"
#include "compiler/resolve.h"
#include "grammar/parse.h"
#include "optimizer/pipeline.h"
#include "sift/compile.h"

namespace sift {

namespace {

/// True when some reachable return gives a nonzero value.
bool canAccept(const ir::Program& p) {
  std::vector<uint8_t> seen(p.blocks.size(), 0);
  std::vector<ir::BlockId> work{p.entry};
  seen[p.entry] = 1;
  while (!work.empty()) {
    const ir::Block& b = p.blocks[work.back()];
    work.pop_back();
    if (b.termKind == ir::TermKind::Return) {
      if (b.term.code != 0x06 || b.term.k != 0) return true;
      continue;
    }
    for (ir::BlockId s : {b.jt, b.jf})
      if (!seen[s]) seen[s] = 1, work.push_back(s);
  }
  return false;
}

}  // namespace

Expected<bpf::Program> compile(std::string_view expression, const CompileOptions& options) {
  if (options.snaplen == 0) return Diagnostic::error("snaplen of 0 rejects all packets");

  auto tree = grammar::parse(expression);
  if (!tree) return tree.takeError();

  std::unique_ptr<NameResolver> systemResolver;
  const NameResolver* resolver = options.resolver;
  if (!resolver) {
    systemResolver = makeSystemResolver();
    resolver = systemResolver.get();
  }
  compiler::ResolveOptions ro;
  ro.linktype = options.linktype;
  ro.resolver = resolver;
  if (Status s = compiler::resolve(*tree, ro); !s) return s.takeError();

  compiler::LowerOptions lo;
  lo.linktype = options.linktype;
  lo.snaplen = options.snaplen;
  lo.netmask = options.netmask;
  lo.liveLinuxSocket = options.liveLinuxSocket;
  auto ir = compiler::lower(*tree, lo);
  if (!ir) return ir.takeError();

  optimizer::Options oo;
  oo.level = options.optimizeLevel;
  std::vector<optimizer::PassStats> stats;
  if (CompileTrace* t = options.trace) {
    auto wants = [t](const std::string& pass) {
      for (const auto& w : t->printAfter)
        if (w == "all" || w == pass) return true;
      return false;
    };
    if (t->onPrint && wants("lower")) t->onPrint("lower", ir::print(*ir));
    if (t->onPrint && !t->printAfter.empty())
      oo.afterPass = [t, wants](const std::string& pass, const ir::Program& p) {
        if (wants(pass)) t->onPrint(pass, ir::print(p));
      };
    if (t->collectStats) oo.stats = &stats;
  }
#ifndef NDEBUG
  oo.verify = true;
#endif
  // libpcap turns its optimizer off for a protochain loop, so it never
  // reports that such an expression rejects all packets.
  const bool loop = ir::hasInnerJumps(*ir);
  if (Status s = optimizer::optimize(*ir, oo); !s) return s.takeError();
  if (options.trace && options.trace->collectStats)
    for (const auto& st : stats)
      options.trace->stats.push_back({st.pass, st.runs, st.blocksRemoved, st.insnsRemoved});
  if (oo.level > 0 && !loop && !canAccept(*ir)) {
    // libpcap reports this too, and only when it optimizes.
    return Diagnostic::error(Span{0, static_cast<uint32_t>(expression.size())},
                             "expression rejects all packets");
  }

  auto program = compiler::emit(*ir);
  if (!program) return program.takeError();
  if (bpf::ValidationError why; !bpf::validate(*program, bpf::Profile::Libpcap, &why))
    return Diagnostic::error("internal error: compiled program fails validation: " + why.message);
  return program;
}

Expected<std::string> programDot(const bpf::Program& program) {
  auto lifted = ir::lift(program);
  if (!lifted) return lifted.takeError();
  return ir::toDot(*lifted);
}

std::vector<std::string> optimizerPasses(int level) { return optimizer::passNames(level); }

}  // namespace sift
