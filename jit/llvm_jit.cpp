// The LLVM backend of the JIT: classic BPF -> LLVM IR -> native code.
//
// What it does: FilterEmitter walks a validated program once and emits one
// LLVM function `uint32_t f(const uint8_t* packet, uint32_t capturedLength,
// uint32_t wireLength)`, with one case per Shape of the opcode table
// (bpf/opcodes.def). Every cBPF pc gets its own basic block; straight
// line instructions fall through to the next pc's block, jt/jf become a
// conditional branch, `ret` a return. A, X and the 16 scratch cells are
// allocas in the entry block, zeroed there; SROA turns them into SSA
// values, so the scratch memory costs nothing unless it is used. Every
// failing run-time check (a packet load past the captured bytes, division
// or modulo by X == 0) branches to one shared block that returns 0. Before
// emitting, analyze() works out from the program's control flow where one
// test of the captured length can stand for several loads and where a
// load is already covered, and which tests of A can compare the loaded
// bytes with a byte-swapped constant; so the IR needs no instcombine.
//
// How it is compiled: the module runs through a short function pipeline
// (optimize() below: SROA, CSE, CFG simplification; instcombine,
// constraint elimination, GVN and jump threading at O2) built with the
// host TargetMachine so the cost model is the real one, and is then added
// to a fresh ORC LLJIT as a ThreadSafeModule; looking the function up
// compiles and links it, on the calling thread, with the thread's code
// generator (ThreadCodegen: a TargetMachine and its machine-code pipeline,
// built once per thread and level; O1's is addQuickPasses()).
//
// Tiering: with CompileOptions::tierUp, compile() starts a thread owned by
// the filter that builds the same program at O2 and publishes the new
// entry point with one release store; the first LLJIT stays alive (a call
// may still be running its code) until the filter is destroyed, and the
// destructor cancels or joins the thread first.
//
// What it keeps: each CompiledFilter owns its LLJIT (and so its code
// memory), so filters are independent. Compiles on different threads
// share nothing but LLVM's native-target registration, done once under a
// function-local static; each thread keeps its own code generators (one
// per optimization level), because building one costs more than the IR
// passes and one must not generate code on two threads at once. No
// process symbols are linked in: the generated code calls nothing. Every
// llvm::Error is turned into a sift Diagnostic here, at the jit/ boundary.
#include <algorithm>
#include <array>
#include <cstdio>
#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

#include <llvm/ExecutionEngine/Orc/CompileUtils.h>
#include <llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/ExecutionEngine/Orc/ThreadSafeModule.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/IR/Intrinsics.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/MDBuilder.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Transforms/InstCombine/InstCombine.h>
#include <llvm/Transforms/Scalar/ConstraintElimination.h>
#include <llvm/Transforms/Scalar/EarlyCSE.h>
#include <llvm/Transforms/Scalar/GVN.h>
#include <llvm/Transforms/Scalar/JumpThreading.h>
#include <llvm/Transforms/Scalar/SROA.h>
#include <llvm/Transforms/Scalar/SimplifyCFG.h>
#include <llvm/Support/Error.h>
#include <llvm/Support/SmallVectorMemoryBuffer.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/MC/MCContext.h>
#include <llvm/MC/MCAsmBackend.h>
#include <llvm/MC/MCCodeEmitter.h>
#include <llvm/MC/MCObjectWriter.h>
#include <llvm/MC/MCStreamer.h>
#include <llvm/MC/TargetRegistry.h>
#include <llvm/CodeGen/AsmPrinter.h>
#include <llvm/CodeGen/MachineModuleInfo.h>
#include <llvm/CodeGen/Passes.h>
#include <llvm/CodeGen/TargetPassConfig.h>
#include <llvm/Target/TargetMachine.h>

#include "bpf/opcodes.h"
#include "sift/jit.h"

namespace sift::jit {

namespace {

constexpr const char* kFunctionName = "sift_filter";

// How many backward jumps one run may take before it rejects the packet:
// the interpreter's budget (vm/interpreter.cpp), so both engines stop a
// looping program at the same point. tests/unit/jit checks they agree.
constexpr uint32_t kBackwardJumpBudget = 1u << 24;

// Runs of jeq shorter than this stay conditional branches (vm::Prepared
// uses the same bound for its binary searches).
constexpr size_t kMinChain = 4;

// The longest program O1 compiles with its own code generator
// (addQuickPasses); longer ones get O0's.
constexpr size_t kQuickCodegenLimit = 128;

using Clock = std::chrono::steady_clock;

Diagnostic llvmFailure(std::string_view stage, llvm::Error error) {
  return Diagnostic::error("JIT " + std::string(stage) + " failed: " +
                           llvm::toString(std::move(error)));
}

// LLVM's native target is registered once per process. A function-local
// static makes the first call thread-safe; later calls only read it.
struct HostTarget {
  bool ok = false;
  std::string error;
  std::optional<llvm::orc::JITTargetMachineBuilder> machine;  // the host's CPU and features
};

const HostTarget& hostTarget() {
  static const HostTarget target = [] {
    HostTarget t;
    if (llvm::InitializeNativeTarget() || llvm::InitializeNativeTargetAsmPrinter()) {
      t.error = "no native code generator for this host";
      return t;
    }
    auto jtmb = llvm::orc::JITTargetMachineBuilder::detectHost();
    if (!jtmb) {
      t.error = llvm::toString(jtmb.takeError());
      return t;
    }
    t.machine = std::move(*jtmb);
    t.ok = true;
    return t;
  }();
  return target;
}

// Emits the LLVM function for one program.
class FilterEmitter {
 public:
  // searchInIr: emit runs of jeq as a balanced search instead of a
  // `switch` (for the fast code generator of O0 and O1).
  FilterEmitter(llvm::Module& module, const std::vector<bpf::Insn>& insns, bool searchInIr)
      : ctx_(module.getContext()), module_(module), insns_(insns), b_(ctx_), searchInIr_(searchInIr) {}

  Status emit() {
    auto* i32 = b_.getInt32Ty();
    auto* fnType = llvm::FunctionType::get(i32, {b_.getPtrTy(), i32, i32}, false);
    fn_ = llvm::Function::Create(fnType, llvm::Function::ExternalLinkage, kFunctionName,
                                 module_);
    fn_->setDoesNotThrow();
    fn_->setOnlyAccessesArgMemory();
    packet_ = fn_->getArg(0);
    capturedLength_ = fn_->getArg(1);
    wireLength_ = fn_->getArg(2);
    packet_->setName("packet");
    capturedLength_->setName("caplen");
    wireLength_->setName("wirelen");
    fn_->addParamAttr(0, llvm::Attribute::NoCapture);
    fn_->addParamAttr(0, llvm::Attribute::ReadOnly);
    fn_->addParamAttr(0, llvm::Attribute::NoAlias);

    unlikely_ = llvm::MDBuilder(ctx_).createBranchWeights(1, 1 << 20);

    auto* entry = llvm::BasicBlock::Create(ctx_, "entry", fn_);
    b_.SetInsertPoint(entry);
    a_ = b_.CreateAlloca(i32, nullptr, "A");
    x_ = b_.CreateAlloca(i32, nullptr, "X");
    for (uint32_t i = 0; i < bpf::kMemWords; ++i)
      mem_[i] = b_.CreateAlloca(i32, nullptr, "M" + std::to_string(i));
    b_.CreateStore(b_.getInt32(0), a_);
    b_.CreateStore(b_.getInt32(0), x_);
    for (auto* cell : mem_) b_.CreateStore(b_.getInt32(0), cell);
    backwardJumps_ = b_.CreateAlloca(i32, nullptr, "backward");
    b_.CreateStore(b_.getInt32(0), backwardJumps_);

    analyze();
    blocks_.reserve(insns_.size());
    for (size_t pc = 0; pc < insns_.size(); ++pc)
      blocks_.push_back(llvm::BasicBlock::Create(ctx_, "pc" + std::to_string(pc), fn_));
    b_.CreateBr(blocks_.empty() ? reject() : blocks_[0]);

    for (size_t pc = 0; pc < insns_.size(); ++pc) {
      pc_ = pc;
      b_.SetInsertPoint(blocks_[pc]);
      if (size_t length = bpf::jeqChainLength(insns_, pc); length >= kMinChain) {
        if (auto s = emitChain(length); !s) return s;
        continue;
      }
      if (auto s = emitInsn(insns_[pc]); !s) return s;
    }
    std::string why;
    llvm::raw_string_ostream os(why);
    if (llvm::verifyFunction(*fn_, &os))
      return Diagnostic::error("JIT emitted invalid IR: " + os.str());
    return okStatus();
  }

 private:
  // caplen below this rejects, whatever the packet holds: every caplen
  // does (no return value can be 2^32 or more).
  static constexpr uint64_t kAlwaysRejects = uint64_t(1) << 32;

  // Facts about the program that let the emitter leave work out, all
  // computed from the cBPF control flow graph before any IR is built.
  // Programs with a backward jump (a loop) get none of them.
  //
  // rejectBelow_[pc]: a captured length below which the program, started
  // at pc, returns 0 for every packet. A load whose end is e rejects when
  // caplen < e and otherwise goes on, so its figure is max(e, the next
  // pc's); a branch takes the smaller of its targets'; `ret #0` rejects
  // for every length, any other return for none. Testing caplen against
  // rejectBelow_[pc] at a load instead of against its own end gives the
  // same verdict for every packet and covers the loads after it.
  //
  // provenAtLeast_[pc]: a captured length every packet reaching pc is
  // known to have (the smallest over the paths into it of the largest
  // length tested on the way). A load whose end is within it needs no test.
  //
  // predecessors_[pc]: how many control flow edges enter pc (fall through,
  // jt, jf, ja; the program's entry counts for pc 0); inChain_: the pcs of
  // the jeq runs emitChain turns into one switch, whose edges differ from
  // the program's.
  void analyze() {
    const size_t n = insns_.size();
    rejectBelow_.assign(n, 0);
    provenAtLeast_.assign(n, 0);
    predecessors_.assign(n, 0);
    inChain_.assign(n, false);
    rawA_.assign(n, {});
    if (n == 0) return;
    predecessors_[0] = 1;
    for (size_t pc = 0; pc < n; ++pc) {
      if (size_t length = bpf::jeqChainLength(insns_, pc); length >= kMinChain)
        for (size_t m = pc; m < pc + length && m < n; ++m) inChain_[m] = true;
      for (uint64_t to : successors(pc)) {
        if (to <= pc) {
          // A loop: no facts. Every load tests its own end, and no pc
          // counts as entered from one place only.
          predecessors_.assign(n, 2);
          return;
        }
        if (to < n) ++predecessors_[to];
      }
    }
    auto at = [&](const std::vector<uint64_t>& v, uint64_t pc) { return pc < n ? v[pc] : 0; };
    for (size_t pc = n; pc-- > 0;) {
      const bpf::Insn& in = insns_[pc];
      const bpf::OpInfo* info = bpf::opInfo(in.code);
      if (!info) continue;
      uint64_t below = 0;
      switch (info->shape) {
        case bpf::Shape::ReturnK: below = in.k == 0 ? kAlwaysRejects : 0; break;
        case bpf::Shape::ReturnReg: below = 0; break;
        case bpf::Shape::Jump:
        case bpf::Shape::JumpK:
        case bpf::Shape::JumpX: {
          below = kAlwaysRejects;
          for (uint64_t to : successors(pc)) below = std::min(below, at(rejectBelow_, to));
          break;
        }
        case bpf::Shape::LoadAbs:
        case bpf::Shape::LoadInd:
        case bpf::Shape::LoadMsh:
          below = std::max(loadEnd(in, *info), at(rejectBelow_, pc + 1));
          break;
        default: below = at(rejectBelow_, pc + 1); break;
      }
      rejectBelow_[pc] = std::min(below, kAlwaysRejects);
    }
    // Forward: every edge goes to a higher pc, so a pc's predecessors are
    // all final by the time it is reached.
    std::vector<uint64_t> proven(n, kAlwaysRejects);
    proven[0] = 0;
    for (size_t pc = 0; pc < n; ++pc) {
      provenAtLeast_[pc] = proven[pc];
      const bpf::Insn& in = insns_[pc];
      const bpf::OpInfo* info = bpf::opInfo(in.code);
      uint64_t out = proven[pc];
      if (info) {
        if (info->shape == bpf::Shape::LoadAbs || info->shape == bpf::Shape::LoadMsh) {
          if (out < loadEnd(in, *info)) out = rejectBelow_[pc];
        } else if (info->shape == bpf::Shape::LoadInd) {
          out = std::max(out, loadEnd(in, *info));
        }
      }
      for (uint64_t to : successors(pc))
        if (to < n) proven[to] = std::min(proven[to], out);
    }
  }

  // The end of a packet load's smallest form (x = 0 for the indirect one).
  static uint64_t loadEnd(const bpf::Insn& in, const bpf::OpInfo& info) {
    return uint64_t(in.k) + (info.shape == bpf::Shape::LoadMsh ? 1 : info.loadSize());
  }

  // The pcs control can go to from pc (none after a return).
  std::vector<uint64_t> successors(size_t pc) const {
    const bpf::Insn& in = insns_[pc];
    const bpf::OpInfo* info = bpf::opInfo(in.code);
    if (!info) return {};
    switch (info->shape) {
      case bpf::Shape::ReturnK:
      case bpf::Shape::ReturnReg: return {};
      case bpf::Shape::Jump: return {uint64_t(static_cast<uint32_t>(pc + 1 + in.k))};
      case bpf::Shape::JumpK:
      case bpf::Shape::JumpX: return {pc + 1 + in.jt, pc + 1 + in.jf};
      default: return {pc + 1};
    }
  }

  // After emitting pc, which does not change A: the successors whose only
  // way in is from pc see the same A, so they inherit its raw form.
  void passRawA(const std::optional<std::pair<llvm::Value*, unsigned>>& raw) {
    if (!raw || inChain_[pc_]) return;
    for (uint64_t to : successors(pc_))
      if (to < insns_.size() && to > pc_ && predecessors_[to] == 1) rawA_[to] = raw;
  }

  llvm::BasicBlock* reject() {
    if (!reject_) {
      auto saved = b_.saveIP();
      reject_ = llvm::BasicBlock::Create(ctx_, "reject", fn_);
      b_.SetInsertPoint(reject_);
      b_.CreateRet(b_.getInt32(0));
      b_.restoreIP(saved);
    }
    return reject_;
  }

  Diagnostic unsupported(const bpf::Insn& insn) {
    char code[8];
    std::snprintf(code, sizeof code, "0x%02x", insn.code);
    return Diagnostic::error("JIT cannot compile pc " + std::to_string(pc_) + ": opcode " +
                             code + " is not a classic BPF instruction");
  }

  // The block for absolute pc `target`, or nullptr when it is past the end.
  llvm::BasicBlock* blockAt(uint64_t target) {
    return target < blocks_.size() ? blocks_[target] : nullptr;
  }

  Diagnostic badTarget(uint64_t target) {
    return Diagnostic::error("JIT cannot compile pc " + std::to_string(pc_) + ": jump target " +
                             std::to_string(target) + " past end of " +
                             std::to_string(insns_.size()) + "-instruction program");
  }

  llvm::Value* getA() { return b_.CreateLoad(b_.getInt32Ty(), a_, "a"); }
  llvm::Value* getX() { return b_.CreateLoad(b_.getInt32Ty(), x_, "x"); }
  void setA(llvm::Value* v) { b_.CreateStore(v, a_); }
  void setX(llvm::Value* v) { b_.CreateStore(v, x_); }

  // Leaves the current block on `failed`, continuing in a fresh block.
  void rejectIf(llvm::Value* failed, const char* name) {
    auto* cont = llvm::BasicBlock::Create(ctx_, "pc" + std::to_string(pc_) + "." + name, fn_,
                                          blockAt(pc_ + 1));
    b_.CreateCondBr(failed, reject(), cont, unlikely_);
    b_.SetInsertPoint(cont);
  }

  // A big-endian load of `size` bytes at `base + k` (base is X for the
  // indirect modes, nullptr for the absolute ones). Computed in 64 bits,
  // so `x + k + size` cannot wrap: past the captured bytes rejects.
  //
  // An absolute load tests caplen (in 32 bits) against rejectBelow_ rather
  // than its own end, and not at all when provenAtLeast_ covers its end
  // (see analyze()). `raw`, when given, receives the loaded value before
  // the byte swap.
  llvm::Value* loadPacket(llvm::Value* base, uint32_t k, unsigned size,
                          llvm::Value** raw = nullptr) {
    auto* i64 = b_.getInt64Ty();
    llvm::Value* offset = b_.getInt64(k);
    if (base) {
      offset = b_.CreateAdd(b_.CreateZExt(base, i64), offset, "offset", true, true);
      auto* end = b_.CreateAdd(offset, b_.getInt64(size), "end", true, true);
      rejectIf(b_.CreateICmpUGT(end, b_.CreateZExt(capturedLength_, i64)), "load");
    } else if (provenAtLeast_[pc_] < uint64_t(k) + size) {
      const uint64_t below = std::max(rejectBelow_[pc_], uint64_t(k) + size);
      if (below >= kAlwaysRejects) {
        // No captured length reaches it: the load always rejects.
        b_.CreateBr(reject());
        b_.SetInsertPoint(llvm::BasicBlock::Create(ctx_, "pc" + std::to_string(pc_) + ".dead", fn_,
                                                   blockAt(pc_ + 1)));
      } else {
        rejectIf(b_.CreateICmpULT(capturedLength_, b_.getInt32(static_cast<uint32_t>(below))),
                 "load");
      }
    }
    auto* ptr = b_.CreateInBoundsGEP(b_.getInt8Ty(), packet_, offset);
    auto* type = b_.getIntNTy(8 * size);
    llvm::Value* v = b_.CreateAlignedLoad(type, ptr, llvm::MaybeAlign(1));
    if (raw) *raw = v;
    if (size > 1) v = b_.CreateUnaryIntrinsic(llvm::Intrinsic::bswap, v);
    return b_.CreateZExt(v, b_.getInt32Ty());
  }

  // Falls through to the next pc.
  Status next() {
    auto* to = blockAt(pc_ + 1);
    if (!to)
      return Diagnostic::error("JIT cannot compile pc " + std::to_string(pc_) +
                               ": program falls off its end");
    b_.CreateBr(to);
    return okStatus();
  }

  // The register an opcode's Arg column names (A or X).
  llvm::AllocaInst* reg(bpf::Arg arg) { return arg == bpf::Arg::X ? x_ : a_; }
  llvm::Value* get(bpf::Arg arg) { return b_.CreateLoad(b_.getInt32Ty(), reg(arg)); }

  // One case per shape of the opcode table (bpf/opcodes.def).
  Status emitInsn(const bpf::Insn& insn) {
    using bpf::Shape;
    const bpf::OpInfo* info = bpf::opInfo(insn.code);
    if (!info) return unsupported(insn);
    const uint32_t k = insn.k;
    switch (info->shape) {
      case Shape::LoadImm: b_.CreateStore(b_.getInt32(k), reg(info->arg)); return next();
      case Shape::LoadAbs:
      case Shape::LoadInd: {
        llvm::Value* raw = nullptr;
        const unsigned size = info->loadSize();
        setA(loadPacket(info->shape == Shape::LoadInd ? getX() : nullptr, k, size, &raw));
        passRawA(std::make_pair(raw, size));
        return next();
      }
      case Shape::LoadMem: return loadCell(k, reg(info->arg));
      case Shape::LoadLen: b_.CreateStore(wireLength_, reg(info->arg)); return next();
      case Shape::LoadMsh:
        setX(b_.CreateShl(b_.CreateAnd(loadPacket(nullptr, k, 1), 0xf), 2));
        return next();
      case Shape::Store: return storeCell(k, get(info->arg));
      case Shape::AluK: return emitAlu(info->arg, b_.getInt32(k));
      case Shape::AluX: return emitAlu(info->arg, getX());
      case Shape::Negate: setA(b_.CreateNeg(getA())); return next();
      case Shape::Jump: {
        // The target wraps in 32 bits, as bpf_validate computes it.
        const uint64_t target = static_cast<uint32_t>(pc_ + 1 + k);
        auto* to = blockAt(target);
        if (!to) return badTarget(target);
        if (k >= 0x80000000u) countBackwardJump();
        passRawA(rawA_[pc_]);
        b_.CreateBr(to);
        return okStatus();
      }
      case Shape::JumpK: return emitJump(insn, info->arg, b_.getInt32(k));
      case Shape::JumpX: return emitJump(insn, info->arg, getX());
      case Shape::ReturnK: b_.CreateRet(b_.getInt32(k)); return okStatus();
      case Shape::ReturnReg: b_.CreateRet(get(info->arg)); return okStatus();
      case Shape::Move:
        b_.CreateStore(get(info->arg == bpf::Arg::X ? bpf::Arg::A : bpf::Arg::X),
                       reg(info->arg));
        return next();
    }
    return unsupported(insn);
  }

  // A chain of `length` jeq at pc_ as one LLVM switch on A (the first
  // occurrence of a repeated constant wins, as the chain does), which the
  // code generator lowers to a balanced search or a jump table. The
  // chain's other pcs keep their own blocks for jumps into the middle.
  Status emitChain(size_t length) {
    const size_t last = pc_ + length - 1;
    llvm::BasicBlock* otherwise = blockAt(last + 1 + uint64_t(insns_[last].jf));
    if (!otherwise) return badTarget(last + 1 + uint64_t(insns_[last].jf));
    std::vector<std::pair<uint32_t, llvm::BasicBlock*>> cases;
    std::unordered_set<uint32_t> seen;
    for (size_t m = pc_; m <= last; ++m) {
      const bpf::Insn& in = insns_[m];
      if (!seen.insert(in.k).second) continue;
      llvm::BasicBlock* to = blockAt(m + 1 + uint64_t(in.jt));
      if (!to) return badTarget(m + 1 + uint64_t(in.jt));
      cases.emplace_back(in.k, to);
    }
    llvm::Value* a = getA();
    if (!searchInIr_) {
      auto* sw = b_.CreateSwitch(a, otherwise, static_cast<unsigned>(cases.size()));
      for (const auto& [k, to] : cases) sw->addCase(b_.getInt32(k), to);
      return okStatus();
    }
    std::sort(cases.begin(), cases.end());
    emitSearch(a, cases, 0, cases.size(), otherwise);
    return okStatus();
  }

  // A balanced search over cases[lo, hi) (sorted by constant), for the
  // fast code generator, which lowers a `switch` to a linear chain.
  void emitSearch(llvm::Value* a, const std::vector<std::pair<uint32_t, llvm::BasicBlock*>>& cases,
                  size_t lo, size_t hi, llvm::BasicBlock* otherwise) {
    constexpr size_t kLinear = 4;
    if (hi - lo <= kLinear) {
      for (size_t i = lo; i < hi; ++i) {
        auto* next = i + 1 < hi ? llvm::BasicBlock::Create(ctx_, "chain", fn_) : otherwise;
        b_.CreateCondBr(b_.CreateICmpEQ(a, b_.getInt32(cases[i].first)), cases[i].second, next);
        if (i + 1 < hi) b_.SetInsertPoint(next);
      }
      return;
    }
    const size_t mid = lo + (hi - lo) / 2;
    auto* below = llvm::BasicBlock::Create(ctx_, "below", fn_);
    auto* above = llvm::BasicBlock::Create(ctx_, "above", fn_);
    b_.CreateCondBr(b_.CreateICmpULT(a, b_.getInt32(cases[mid].first)), below, above);
    b_.SetInsertPoint(below);
    emitSearch(a, cases, lo, mid, otherwise);
    b_.SetInsertPoint(above);
    emitSearch(a, cases, mid, hi, otherwise);
  }

  // A backward ja (the libpcap profile lets k wrap around) may loop
  // forever. Like the interpreter, reject the packet once the program
  // has taken more than kBackwardJumpBudget of them.
  void countBackwardJump() {
    auto* taken = b_.CreateAdd(b_.CreateLoad(b_.getInt32Ty(), backwardJumps_), b_.getInt32(1));
    b_.CreateStore(taken, backwardJumps_);
    rejectIf(b_.CreateICmpUGT(taken, b_.getInt32(kBackwardJumpBudget)), "budget");
  }

  Status loadCell(uint32_t k, llvm::AllocaInst* into) {
    if (k >= bpf::kMemWords) return cellOutOfRange(k);
    b_.CreateStore(b_.CreateLoad(b_.getInt32Ty(), mem_[k], "m"), into);
    return next();
  }

  Status storeCell(uint32_t k, llvm::Value* v) {
    if (k >= bpf::kMemWords) return cellOutOfRange(k);
    b_.CreateStore(v, mem_[k]);
    return next();
  }

  Diagnostic cellOutOfRange(uint32_t k) {
    return Diagnostic::error("JIT cannot compile pc " + std::to_string(pc_) + ": scratch cell " +
                             std::to_string(k) + " out of range");
  }

  Status emitAlu(bpf::Arg operation, llvm::Value* rhs) {
    using bpf::Arg;
    llvm::Value* a = getA();
    llvm::Value* result = nullptr;
    switch (operation) {
      case Arg::Add: result = b_.CreateAdd(a, rhs); break;
      case Arg::Sub: result = b_.CreateSub(a, rhs); break;
      case Arg::Mul: result = b_.CreateMul(a, rhs); break;
      case Arg::Or: result = b_.CreateOr(a, rhs); break;
      case Arg::And: result = b_.CreateAnd(a, rhs); break;
      case Arg::Xor: result = b_.CreateXor(a, rhs); break;
      case Arg::Div:
      case Arg::Mod:
        // Division by zero rejects the packet. The validator refuses
        // `div #0`, so for #k this check folds away.
        rejectIf(b_.CreateICmpEQ(rhs, b_.getInt32(0)), "divzero");
        result = operation == Arg::Div ? b_.CreateUDiv(a, rhs) : b_.CreateURem(a, rhs);
        break;
      case Arg::Lsh:
      case Arg::Rsh: {
        // Shifting by 32 or more gives 0 (LLVM would give poison). The
        // masked amount keeps the unselected shift well defined too.
        auto* amount = b_.CreateAnd(rhs, 31);
        auto* shifted = operation == Arg::Lsh ? b_.CreateShl(a, amount) : b_.CreateLShr(a, amount);
        result = b_.CreateSelect(b_.CreateICmpUGE(rhs, b_.getInt32(32)), b_.getInt32(0), shifted);
        break;
      }
      default:
        return Diagnostic::error("JIT cannot compile pc " + std::to_string(pc_) +
                                 ": unknown arithmetic operation");
    }
    setA(result);
    return next();
  }

  Status emitJump(const bpf::Insn& insn, bpf::Arg condition, llvm::Value* rhs) {
    using bpf::Arg;
    const uint64_t trueTarget = pc_ + 1 + insn.jt;
    const uint64_t falseTarget = pc_ + 1 + insn.jf;
    auto* onTrue = blockAt(trueTarget);
    auto* onFalse = blockAt(falseTarget);
    if (!onTrue) return badTarget(trueTarget);
    if (!onFalse) return badTarget(falseTarget);
    passRawA(rawA_[pc_]);
    if (onTrue == onFalse) {
      b_.CreateBr(onTrue);
      return okStatus();
    }
    if (auto folded = compareRaw(insn, condition); folded) {
      b_.CreateCondBr(folded, onTrue, onFalse);
      return okStatus();
    }
    llvm::Value* a = getA();
    llvm::Value* taken = nullptr;
    switch (condition) {
      case Arg::Eq: taken = b_.CreateICmpEQ(a, rhs); break;
      case Arg::Gt: taken = b_.CreateICmpUGT(a, rhs); break;
      case Arg::Ge: taken = b_.CreateICmpUGE(a, rhs); break;
      case Arg::Set: taken = b_.CreateICmpNE(b_.CreateAnd(a, rhs), b_.getInt32(0)); break;
      default:
        return Diagnostic::error("JIT cannot compile pc " + std::to_string(pc_) +
                                 ": unknown jump condition");
    }
    b_.CreateCondBr(taken, onTrue, onFalse);
    return okStatus();
  }

  // `jeq #k` and `jset #k` on an A that is a packet load seen from here
  // (rawA_): the same test on the loaded bytes against the byte-swapped
  // constant, so no swap is emitted and the code generator can compare
  // memory with an immediate. Equality with a constant wider than the
  // load is false. Returns nullptr when it does not apply.
  llvm::Value* compareRaw(const bpf::Insn& insn, bpf::Arg condition) {
    const auto& raw = rawA_[pc_];
    if (!raw || bpf::opInfo(insn.code)->shape != bpf::Shape::JumpK) return nullptr;
    if (condition != bpf::Arg::Eq && condition != bpf::Arg::Set) return nullptr;
    const auto [value, size] = *raw;
    const uint64_t mask = size == 4 ? 0xffffffffu : (uint64_t(1) << (8 * size)) - 1;
    uint64_t k = insn.k;
    if (condition == bpf::Arg::Eq && k > mask) return b_.getFalse();
    k &= mask;
    uint64_t swapped = 0;
    for (unsigned i = 0; i < size; ++i) swapped |= ((k >> (8 * i)) & 0xff) << (8 * (size - 1 - i));
    auto* constant = llvm::ConstantInt::get(value->getType(), swapped);
    if (condition == bpf::Arg::Eq) return b_.CreateICmpEQ(value, constant);
    return b_.CreateICmpNE(b_.CreateAnd(value, constant),
                           llvm::ConstantInt::get(value->getType(), 0));
  }

  std::vector<uint64_t> rejectBelow_;
  std::vector<uint64_t> provenAtLeast_;
  std::vector<uint32_t> predecessors_;
  std::vector<bool> inChain_;
  // The value A holds at the start of pc as the load that produced it
  // (before the byte swap) and its size, when that load dominates pc.
  std::vector<std::optional<std::pair<llvm::Value*, unsigned>>> rawA_;

  llvm::LLVMContext& ctx_;
  llvm::Module& module_;
  const std::vector<bpf::Insn>& insns_;
  llvm::IRBuilder<> b_;
  llvm::Function* fn_ = nullptr;
  llvm::Value* packet_ = nullptr;
  llvm::Value* capturedLength_ = nullptr;
  llvm::Value* wireLength_ = nullptr;
  llvm::AllocaInst* a_ = nullptr;
  llvm::AllocaInst* x_ = nullptr;
  llvm::AllocaInst* backwardJumps_ = nullptr;
  std::array<llvm::AllocaInst*, bpf::kMemWords> mem_{};
  std::vector<llvm::BasicBlock*> blocks_;
  llvm::BasicBlock* reject_ = nullptr;
  llvm::MDNode* unlikely_ = nullptr;
  size_t pc_ = 0;
  bool searchInIr_ = false;
};

// Runs a short function pipeline over `module`. A filter is one loop-free
// function (backward jumps are rare and stay loops), so LLVM's default
// module pipelines (inlining, loop passes, vectorizers) would only cost
// compile time. What pays off: SROA turns A, X and the scratch cells into
// SSA values, early CSE removes the repeated and dead values the per-pc
// emission leaves, and simplifycfg merges the per-pc blocks and the
// returns. The emitter already narrows the bounds tests and folds the byte
// swaps into the compares (analyze(), compareRaw()), which was most of
// what instcombine did here at a fifth of an O1 compile, so only O2 runs
// it, with constraint elimination (bounds checks an earlier check already
// implies, beyond what the emitter proves), GVN and jump threading.
void optimize(llvm::Module& module, llvm::TargetMachine& tm, OptLevel level) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PassBuilder pb(&tm);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::FunctionPassManager fpm;
  fpm.addPass(llvm::SROAPass(llvm::SROAOptions::ModifyCFG));
  fpm.addPass(llvm::EarlyCSEPass());
  if (level == OptLevel::O2) fpm.addPass(llvm::InstCombinePass());
  if (level == OptLevel::O2) {
    fpm.addPass(llvm::SimplifyCFGPass());
  } else {
    // Without the branch folding that turns runs of compares into
    // `switch`es and speculated blocks into `select`s: the fast
    // instruction selector hands both to the selection DAG, which costs
    // more than the rest of the code generator.
    fpm.addPass(llvm::SimplifyCFGPass(
        llvm::SimplifyCFGOptions().setSimplifyCondBranch(false).speculateBlocks(false)));
  }
  if (level == OptLevel::O2) {
    fpm.addPass(llvm::ConstraintEliminationPass());
    fpm.addPass(llvm::GVNPass());
    fpm.addPass(llvm::JumpThreadingPass());
    fpm.addPass(llvm::InstCombinePass());
    fpm.addPass(llvm::SimplifyCFGPass());
  }
  for (llvm::Function& f : module)
    if (!f.isDeclaration()) fpm.run(f, fam);
}

// O0 uses LLVM's quickest code generator: the fast instruction selector
// and the fast register allocator. O1 keeps the fast instruction selector
// but allocates registers properly, with few machine passes around it
// (addQuickPasses). O2 runs the full one (selection DAG, greedy
// allocation, machine scheduling and the rest), which costs about three
// times as much to compile.
llvm::CodeGenOptLevel codegenLevel(OptLevel level) {
  if (level == OptLevel::O1) return llvm::CodeGenOptLevel::Less;  // see addQuickPasses
  return level == OptLevel::O2 ? llvm::CodeGenOptLevel::Default : llvm::CodeGenOptLevel::None;
}

// The code generator of one thread for one optimization level. Creating a
// TargetMachine is costly (its subtarget builds the lowering tables), and
// so is building the legacy pass pipeline that emits machine code (about a
// quarter of a compile at O1); one TargetMachine must not generate code on
// two threads at once. So each thread builds both once per level and runs
// the same pipeline over every module it compiles: the pipeline's
// doInitialization/doFinalization reset the machine-code context and the
// object streamer between modules, and the object is written into
// `object`, which is emptied before each run. The compile of a filter's
// module happens in compile() itself, on the calling thread (LLJIT runs no
// compile threads here), so none of this is ever used by another thread.
struct ThreadCodegen {
  std::unique_ptr<llvm::TargetMachine> machine;
  llvm::SmallVector<char, 0> object;
  std::unique_ptr<llvm::raw_svector_ostream> stream;
  std::unique_ptr<llvm::legacy::PassManager> passes;
};

// The machine-code pipeline of O1: the fast instruction selector (built
// while the TargetMachine says CodeGenOptLevel::None, so no IR passes run
// in front of it either) followed by the optimizing register allocator
// (built after switching the machine to Less), with the machine-level
// optimizations that cost compile time but do not pay off on a filter's
// few blocks turned off. The fast register allocator of O0 spills every
// value live across a block (the packet pointer and the captured length
// are reloaded from the stack in every block, the return value goes
// through a stack slot); the optimizing one keeps them in registers, which
// is most of the difference between O1's and O2's code. Mirrors
// LLVMTargetMachine::addPassesToEmitMC, which gives no access to the
// TargetPassConfig before it builds the pipeline.
bool addQuickPasses(llvm::LLVMTargetMachine& tm, llvm::legacy::PassManager& pm,
                    llvm::raw_pwrite_stream& out) {
  auto* mmi = new llvm::MachineModuleInfoWrapperPass(&tm);
  llvm::TargetPassConfig* config = tm.createPassConfig(pm);
  config->setDisableVerify(true);
  pm.add(config);
  pm.add(mmi);
  for (llvm::AnalysisID pass :
       {&llvm::EarlyTailDuplicateID, &llvm::TailDuplicateID, &llvm::MachineCSEID,
        &llvm::MachineLICMID, &llvm::EarlyMachineLICMID, &llvm::MachineSinkingID,
        &llvm::PostRAMachineSinkingID, &llvm::MachineSchedulerID, &llvm::PostMachineSchedulerID,
        &llvm::PostRASchedulerID, &llvm::PeepholeOptimizerID, &llvm::BranchFolderPassID,
        &llvm::ShrinkWrapID, &llvm::StackColoringID, &llvm::StackSlotColoringID,
        &llvm::OptimizePHIsID, &llvm::DeadMachineInstructionElimID, &llvm::EarlyIfConverterID,
        &llvm::LiveDebugValuesID, &llvm::MachineCombinerID, &llvm::MachineLateInstrsCleanupID,
        &llvm::LiveRangeShrinkID, &llvm::RenameIndependentSubregsID, &llvm::DetectDeadLanesID,
        &llvm::RemoveRedundantDebugValuesID})
    config->disablePass(pass);
  tm.setOptLevel(llvm::CodeGenOptLevel::None);
  const bool failed = config->addISelPasses();
  tm.setOptLevel(llvm::CodeGenOptLevel::Less);
  if (failed) return true;
  config->addMachinePasses();
  config->setInitialized();

  llvm::MCContext& ctx = mmi->getMMI().getContext();
  tm.Options.MCOptions.EmitDwarfUnwind = llvm::EmitDwarfUnwindType::Always;
  const llvm::Target& target = tm.getTarget();
  std::unique_ptr<llvm::MCCodeEmitter> emitter(target.createMCCodeEmitter(*tm.getMCInstrInfo(), ctx));
  std::unique_ptr<llvm::MCAsmBackend> backend(target.createMCAsmBackend(
      *tm.getMCSubtargetInfo(), *tm.getMCRegisterInfo(), tm.Options.MCOptions));
  if (!emitter || !backend) return true;
  auto writer = backend->createObjectWriter(out);
  std::unique_ptr<llvm::MCStreamer> streamer(target.createMCObjectStreamer(
      tm.getTargetTriple(), ctx, std::move(backend), std::move(writer), std::move(emitter),
      *tm.getMCSubtargetInfo()));
  llvm::FunctionPass* printer = target.createAsmPrinter(tm, std::move(streamer));
  if (!printer) return true;
  pm.add(printer);
  pm.add(llvm::createFreeMachineFunctionPass());
  return false;
}

llvm::Expected<ThreadCodegen*> threadCodegen(llvm::orc::JITTargetMachineBuilder jtmb,
                                             OptLevel level) {
  thread_local std::array<ThreadCodegen, 3> perLevel;
  ThreadCodegen& cg = perLevel[static_cast<size_t>(level)];
  if (!cg.passes) {
    auto tm = jtmb.createTargetMachine();
    if (!tm) return tm.takeError();
    auto stream = std::make_unique<llvm::raw_svector_ostream>(cg.object);
    auto passes = std::make_unique<llvm::legacy::PassManager>();
    llvm::MCContext* mc = nullptr;
    const bool failed =
        level == OptLevel::O1
            ? addQuickPasses(static_cast<llvm::LLVMTargetMachine&>(**tm), *passes, *stream)
            : (*tm)->addPassesToEmitMC(*passes, mc, *stream);
    if (failed)
      return llvm::make_error<llvm::StringError>("the host target cannot emit machine code",
                                                 llvm::inconvertibleErrorCode());
    cg.machine = std::move(*tm);
    cg.stream = std::move(stream);
    cg.passes = std::move(passes);
  }
  return &cg;
}

// LLJIT's compile step: runs the thread's code generator over the module
// and hands the object to the linker.
class ThreadCompiler : public llvm::orc::IRCompileLayer::IRCompiler {
 public:
  explicit ThreadCompiler(ThreadCodegen& cg)
      : IRCompiler(llvm::orc::irManglingOptionsFromTargetOptions(cg.machine->Options)), cg_(cg) {}

  llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>> operator()(llvm::Module& module) override {
    cg_.object.clear();
    cg_.passes->run(module);
    llvm::SmallVector<char, 0> object(cg_.object.begin(), cg_.object.end());
    return std::make_unique<llvm::SmallVectorMemoryBuffer>(std::move(object), "sift_filter.o",
                                                           /*RequiresNullTerminator=*/false);
  }

 private:
  ThreadCodegen& cg_;
};

}  // namespace

bool available() { return hostTarget().ok; }

namespace {

// One compiled function and the LLJIT that owns its code.
struct Built {
  std::unique_ptr<llvm::orc::LLJIT> jit;
  CompiledFilter::Function function = nullptr;
  CompileStats stats;
  std::string ir;
};

// Compiles `insns` at `level` on the calling thread, with its code generator.
Expected<Built> build(const std::vector<bpf::Insn>& insns, OptLevel level, bool keepIr) {
  const HostTarget& host = hostTarget();
  if (!host.ok) return Diagnostic::error("JIT not available on this host: " + host.error);
  Built built;
  auto started = Clock::now();

  // Past kQuickCodegenLimit instructions O1's register allocator costs
  // more than O2's whole compile (a 1,000-host list: about 0.3 s), so a
  // long program at O1 gets O0's code generator; tiering brings the O2 code.
  const OptLevel codegenAs =
      level == OptLevel::O1 && insns.size() > kQuickCodegenLimit ? OptLevel::O0 : level;
  llvm::orc::JITTargetMachineBuilder jtmb = *host.machine;
  jtmb.setCodeGenOptLevel(codegenLevel(codegenAs));
  auto codegen = threadCodegen(jtmb, codegenAs);
  if (!codegen) return llvmFailure("target machine creation", codegen.takeError());
  llvm::TargetMachine& tm = *(*codegen)->machine;

  auto context = std::make_unique<llvm::LLVMContext>();
  context->setDiscardValueNames(!keepIr);  // names only help a reader of the IR
  auto module = std::make_unique<llvm::Module>("sift_filter", *context);
  module->setDataLayout(tm.createDataLayout());
  module->setTargetTriple(tm.getTargetTriple().str());
  if (auto s = FilterEmitter(*module, insns, level != OptLevel::O2).emit(); !s) return s.takeError();
  auto emitted = Clock::now();
  built.stats.buildIr = emitted - started;

  if (level != OptLevel::O0) optimize(*module, tm, level);
  auto optimized = Clock::now();
  built.stats.optimize = optimized - emitted;

  if (keepIr) {
    llvm::raw_string_ostream os(built.ir);
    module->print(os, nullptr);
  }

  auto jit = llvm::orc::LLJITBuilder()
                 .setJITTargetMachineBuilder(std::move(jtmb))
                 .setCompileFunctionCreator(
                     [cg = *codegen](llvm::orc::JITTargetMachineBuilder)
                         -> llvm::Expected<std::unique_ptr<llvm::orc::IRCompileLayer::IRCompiler>> {
                       return std::make_unique<ThreadCompiler>(*cg);
                     })
                 .setDataLayout(module->getDataLayout())
                 .setLinkProcessSymbolsByDefault(false)
                 .setPlatformSetUp(llvm::orc::setUpInactivePlatform)
                 .create();
  if (!jit) return llvmFailure("setup", jit.takeError());
  if (auto e = (*jit)->addIRModule(
          llvm::orc::ThreadSafeModule(std::move(module), std::move(context))))
    return llvmFailure("module registration", std::move(e));
  // The lookup compiles and links the module, here, on this thread; no
  // later lookup happens, so the compile layer (which refers to this
  // thread's code generator) is never used again.
  auto address = (*jit)->lookup(kFunctionName);
  if (!address) return llvmFailure("code generation", address.takeError());
  built.stats.codegen = Clock::now() - optimized;
  built.jit = std::move(*jit);
  built.function = address->toPtr<CompiledFilter::Function>();
  return built;
}

}  // namespace

// The filter's LLJITs and its tier-up worker. The worker writes `tierUp`
// (and the filter's tierUpStats_/tierUpError_) before it publishes the new
// function with a release store; everyone else reads them only after
// joining it, in waitForTierUp() or the destructor.
struct CompiledFilter::Impl {
  std::unique_ptr<llvm::orc::LLJIT> jit;     // the first compile's code
  std::unique_ptr<llvm::orc::LLJIT> tierUp;  // the O2 code, once the worker has built it
  std::atomic<bool> cancelled{false};
  std::thread worker;
};

CompiledFilter::CompiledFilter(std::unique_ptr<Impl> impl, Function function)
    : impl_(std::move(impl)), function_(function) {}

// Destroying a filter whose recompile is still running waits for it (a few
// milliseconds at most); a worker that sees `cancelled` before it starts
// does nothing, and one that finishes after it publishes nothing.
CompiledFilter::~CompiledFilter() {
  impl_->cancelled.store(true, std::memory_order_relaxed);
  if (impl_->worker.joinable()) impl_->worker.join();
}

OptLevel CompiledFilter::waitForTierUp() {
  if (impl_->worker.joinable()) impl_->worker.join();
  return level();
}

Expected<std::unique_ptr<CompiledFilter>> compile(const bpf::ValidatedProgram& program,
                                                  const CompileOptions& options) {
  auto built = build(program.insns(), options.optLevel, options.keepIr);
  if (!built) return built.takeError();
  auto impl = std::make_unique<CompiledFilter::Impl>();
  impl->jit = std::move(built->jit);
  std::unique_ptr<CompiledFilter> filter(new CompiledFilter(std::move(impl), built->function));
  filter->level_.store(options.optLevel, std::memory_order_relaxed);
  filter->stats_ = built->stats;
  filter->ir_ = std::move(built->ir);
  filter->programSize_ = program.size();
  if (options.tierUp && options.optLevel != OptLevel::O2) {
    // The worker gets its own copy of the program and compiles with its
    // own thread's code generator; `self` outlives it (the destructor
    // joins it first).
    CompiledFilter* self = filter.get();
    try {
      self->impl_->worker = std::thread([self, insns = program.insns()] {
        CompiledFilter::Impl& impl = *self->impl_;
        if (impl.cancelled.load(std::memory_order_relaxed)) return;
        auto upgraded = build(insns, OptLevel::O2, /*keepIr=*/false);
        if (!upgraded) {
          self->tierUpError_ = upgraded.error().message;
          return;
        }
        if (impl.cancelled.load(std::memory_order_relaxed)) return;
        impl.tierUp = std::move(upgraded->jit);
        self->tierUpStats_ = upgraded->stats;
        self->level_.store(OptLevel::O2, std::memory_order_release);
        self->function_.store(upgraded->function, std::memory_order_release);
      });
    } catch (const std::system_error& e) {
      self->tierUpError_ = std::string("JIT cannot start the tier-up thread: ") + e.what();
    }
  }
  return filter;
}

}  // namespace sift::jit
