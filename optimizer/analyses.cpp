// The shared analyses: each computed on first use, dropped when a pass
// changes what it describes.
#include "optimizer/analyses.h"

#include "optimizer/scratch.h"

namespace sift::optimizer {

Analyses::Analyses(const ir::Program& p)
    : p_(p), entry_(takeRetained<State, 0>()), exit_(takeRetained<State, 1>()) {}

Analyses::~Analyses() {
  giveRetained<State, 0>(std::move(entry_));
  giveRetained<State, 1>(std::move(exit_));
}

const std::vector<ir::BlockId>& Analyses::rpo() {
  if (!rpo_) rpo_ = ir::reversePostOrder(p_);
  return *rpo_;
}

const Preds& Analyses::preds() {
  if (!preds_) preds_ = predecessors(p_, rpo());
  return *preds_;
}

const std::vector<ir::BlockId>& Analyses::idom() {
  if (!idom_) idom_ = immediateDominators(p_, rpo(), preds());
  return *idom_;
}

const std::vector<State>& Analyses::entry() {
  if (!statesValid_) {
    entryStates(p_, values_, rpo(), preds(), entry_, exit_);
    statesValid_ = true;
  }
  return entry_;
}

const std::vector<State>& Analyses::exit() {
  entry();
  return exit_;
}

const std::vector<RegMask>& Analyses::live() {
  if (!live_) live_ = liveIn(p_, rpo());
  return *live_;
}

void Analyses::statementsChanged() {
  statesValid_ = false;  // the storage stays for the next computation
  live_.reset();
}

void Analyses::everythingChanged() {
  statementsChanged();
  rpo_.reset();
  preds_.reset();
  idom_.reset();
}

}  // namespace sift::optimizer
