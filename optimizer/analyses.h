// The analyses the passes share during one optimize() call: block orders,
// predecessors, dominators, value-number states and liveness, computed on
// first use and kept until a pass changes what they describe.
//
// Value numbers live in one table for the whole call: a number names a
// pure function of the packet, so it means the same thing before and after
// any pass. A pass that changed the program says how (its statements only,
// or its edges too); the pipeline then drops exactly the results that
// change can have made stale, and a pass that found nothing to do leaves
// every result valid for the next one.
#pragma once

#include <optional>
#include <vector>

#include "ir/ir.h"
#include "optimizer/values.h"

namespace sift::optimizer {

class Analyses {
 public:
  /// The value-state storage comes from, and goes back to, the thread's
  /// retained buffers (optimizer/scratch.h).
  explicit Analyses(const ir::Program& p);
  ~Analyses();
  Analyses(const Analyses&) = delete;
  Analyses& operator=(const Analyses&) = delete;

  ValueTable& values() { return values_; }
  const std::vector<ir::BlockId>& rpo();
  const Preds& preds();
  const std::vector<ir::BlockId>& idom();
  /// Value-number states at block entry and exit (see entryStates()).
  const std::vector<State>& entry();
  const std::vector<State>& exit();
  /// Registers live on entry to each block.
  const std::vector<RegMask>& live();

  /// The program's statements or terminators changed, its edges did not.
  void statementsChanged();
  /// Anything may have changed (edges, blocks, their numbering).
  void everythingChanged();

 private:
  const ir::Program& p_;
  ValueTable values_;
  std::optional<std::vector<ir::BlockId>> rpo_, idom_;
  std::optional<Preds> preds_;
  std::vector<State> entry_, exit_;
  bool statesValid_ = false;
  std::optional<std::vector<RegMask>> live_;
};

}  // namespace sift::optimizer
