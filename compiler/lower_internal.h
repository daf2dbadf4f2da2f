// Lowering internals shared by compiler/lower*.cpp: the per-compile
// Lowerer (builder, link-layer row, options, first error), the cBPF opcodes
// lowering emits, and the arithmetic Value.
//
// Each lower_*.cpp file implements one protocol family's members:
//   lower.cpp            the driver: nodes, and/or/not, leaf tests, errors
//   lower_offsets.cpp    places in the frame, run-time offsets in scratch
//                        cells and the program prologue that computes them
//   lower_link.cpp       link-layer type tests, MAC addresses, broadcast
//   lower_ip.cpp         ip/ip6/arp/rarp: protocols, hosts, nets, multicast
//   lower_protochain.cpp protochain: the walk over IPv6 extension headers and AH
//   lower_transport.cpp  port and portrange
//   lower_arith.cpp      relations, packet access, len, less/greater
//   lower_encap.cpp      vlan, mpls, pppoed, pppoes, geneve, vxlan: the link state
//   lower_osi.cpp        llc, the LLC SAP / OSI / DECnet family, decnet host
//   lower_direction.cpp  inbound, outbound, ifindex
//   lower_80211.cpp      802.11: addresses, type/subtype/dir, row hooks

//   lower_atm_ss7.cpp    SunATM (vpi, vci, lane, cell types) and SS7 (MTP2
//                        frame types, MTP3 fields)
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "compiler/link_layer.h"
#include "compiler/lower.h"

namespace sift::compiler::detail {

/// The cBPF encodings lowering emits (struct sock_filter `code` values).
namespace op {
inline constexpr uint16_t kLdAbsW = 0x20, kLdAbsH = 0x28, kLdAbsB = 0x30;
inline constexpr uint16_t kLdIndW = 0x40, kLdIndH = 0x48, kLdIndB = 0x50;
inline constexpr uint16_t kLdImm = 0x00, kLdLen = 0x80, kLdMem = 0x60;
inline constexpr uint16_t kLdxMsh = 0xb1;  // ldxb 4*([k]&0xf)
inline constexpr uint16_t kLdxImm = 0x01, kLdxMem = 0x61;
inline constexpr uint16_t kSt = 0x02, kStx = 0x03;
inline constexpr uint16_t kTax = 0x07, kTxa = 0x87;
inline constexpr uint16_t kJa = 0x05;
inline constexpr uint16_t kAluK = 0x04, kAluX = 0x0c;  // | one of the kAlu* operations
inline constexpr uint16_t kAdd = 0x00, kSub = 0x10, kMul = 0x20, kDiv = 0x30, kOr = 0x40,
                          kAnd = 0x50, kLsh = 0x60, kRsh = 0x70, kNeg = 0x80, kMod = 0x90,
                          kXor = 0xa0;
inline constexpr uint16_t kJeq = 0x15, kJgt = 0x25, kJge = 0x35, kJset = 0x45;  // against #k
inline constexpr uint16_t kJumpX = 0x08;  // | a jump: against x instead

constexpr bpf::Insn insn(uint16_t code, uint32_t k = 0) { return bpf::Insn{code, 0, 0, k}; }
/// The absolute / indirect load of 1, 2 or 4 bytes.
uint16_t loadAbs(uint8_t size);
uint16_t loadInd(uint8_t size);
}  // namespace op

/// An arithmetic value under construction: code that leaves it in A, and
/// the protocol checks that must hold before that code may run.
struct Value {
  std::optional<uint32_t> constant;  // set when the value is known now
  std::vector<bpf::Insn> code;       // leaves the value in A (empty for a constant)
  bool writesX = false;              // the code clobbers X
  uint32_t scratchCells = 0;         // M[0..n-1] the code uses
  std::optional<ir::Fragment> checks;
};

/// The IPv4 and IPv6 header fields lowering reads, relative to the
/// network-layer header.
inline constexpr uint32_t kIpProtoOffset = 9, kIpFragOffset = 6, kIpSrcOffset = 12,
                          kIpDstOffset = 16;
inline constexpr uint32_t kIp6NextHeaderOffset = 6, kIp6SrcOffset = 8, kIp6DstOffset = 24,
                          kIp6HeaderLength = 40;
inline constexpr uint32_t kArpSrcOffset = 14, kArpDstOffset = 24;  // sender / target IPv4
inline constexpr uint32_t kEtherTypeIp = 0x0800, kEtherTypeIp6 = 0x86dd, kEtherTypeArp = 0x0806,
                          kEtherTypeRarp = 0x8035;

/// Where the headers are for the primitives lowered next, once an
/// encapsulation (vlan, mpls, pppoes, geneve, vxlan) has moved them: each one
/// changes it for everything lowered after it, left to right across
/// and/or/not, as libpcap's parser changes its offsets
/// (compiler/lower_encap.cpp). Until then (`moved` false) the places come
/// from the row (lower_offsets.cpp).
struct LinkState {
  const LinkLayer* layer = nullptr;  // whose type field and MACs apply (PPP after pppoes)
  bool moved = false;
  Offset header;                     // the link-layer header: link[0], the MACs
  Offset type;                       // the type field
  Offset llc;                        // the LLC header (libpcap's off_linkpl)
  Offset net;                        // the network-layer header (off_linkpl + off_nl)
  uint32_t vlanDepth = 0;            // vlan primitives seen
  uint32_t mplsDepth = 0;            // mpls primitives seen
  const char* tunnel = nullptr;      // inside "geneve" or "vxlan": MAC tests need an inner frame
  /// After `lane` on SunATM: where the 2-byte LAN Emulation header is; a
  /// frame whose header is 0xff00 is an LE control frame, which EtherType,
  /// VLAN, MAC address, broadcast and multicast tests exclude first (libpcap's
  /// gen_prevlinkhdr_check).
  std::optional<Offset> leControl;
};

class Lowerer {
 public:
  Lowerer(const LinkLayer& row, const LowerOptions& options) : options(options), row_(&row) { state.layer = &row; }
  Lowerer(const Lowerer&) = delete;
  Lowerer& operator=(const Lowerer&) = delete;

  ir::Builder builder;
  const LowerOptions& options;
  /// libpcap does not optimize a program whose offset code has jumps
  /// inside a block (802.11's payload offset, Prism's header length): the
  /// hooks that build it set this, and lower() then lowers the expression
  /// again with `libpcapUnoptimized`.
  bool offsetCodeUnoptimized = false;
  /// Set by prologue() for the hooks: an encapsulation (pppoes) left the
  /// link type other than the row's. libpcap decides some offset code by
  /// the link type current at the end (radiotap's padding check, PPI's
  /// frame check), so then it leaves it out.
  bool linkChanged = false;
  std::optional<Diagnostic> error;
  LinkState state;
  /// The link layer the next primitive sees.
  const LinkLayer& link() const { return *state.layer; }
  /// The span of the primitive being lowered (for errors raised deep in
  /// shared helpers such as linkProto).
  Span leafSpan;
  /// libpcap compiles this expression with its optimizer off (it holds
  /// `protochain`, `geneve` or `vxlan`, or needs 802.11 offset code), so its verdicts on truncated packets are
  /// those of its unoptimized code: lowering then keeps the loads that
  /// libpcap's optimizer would have dropped (an `and #0` test, a /0 net,
  /// an index that wraps around), as the unoptimized code has them.
  bool libpcapUnoptimized = false;
  /// Stores of 0 into the cells a live vlan adds to, run before anything.
  std::vector<bpf::Insn> vlanCellInit;

  // ---- lower.cpp: driver and leaf tests ----
  ir::Fragment node(const ast::Node& n);
  /// Records the first error and returns a placeholder fragment.
  ir::Fragment fail(Span span, std::string message);
  bool failed() const { return error.has_value(); }
  /// `ld{,h,b} [offset]`, `and #mask` unless the mask is all ones, then
  /// the jump against #k.
  ir::Fragment loadTest(uint32_t offset, uint8_t size, uint32_t mask, uint16_t jump, uint32_t k) {
    return loadTest(Offset{offset}, size, mask, jump, k);
  }
  ir::Fragment always(bool value) { return builder.constant(value); }
  ir::Fragment both(ir::Fragment a, ir::Fragment b) { return builder.makeAnd(std::move(a), std::move(b)); }
  ir::Fragment either(ir::Fragment a, ir::Fragment b) { return builder.makeOr(std::move(a), std::move(b)); }
  static ir::Fragment negate(ir::Fragment a) { return ir::Builder::makeNot(std::move(a)); }
  /// Closes the exits of a fragment that is built but not used (its
  /// blocks stay unreachable and are never emitted).
  void discard(const ir::Fragment& f);
  ir::BlockId deadEnd = ir::kNoBlock;
  /// The directional combination of a source and a destination test.
  template <class Leg>
  ir::Fragment directional(ast::Dir dir, Span span, Leg leg);
  std::string linkName() const { return "DLT_" + std::string(link().name); }

  // ---- lower_offsets.cpp: places in the frame and run-time offsets ----
  /// Reserves a scratch cell for the rest of the program (arithmetic never
  /// uses it); fails with libpcap's message when none is left.
  int reserveCell();
  /// reserveCell for a run-time offset, which libpcap keeps in a register
  /// of its own allocator: takes that register too, and repeats into the
  /// cell what earlier relations wrote into it (reuseRegister).
  int reserveOffsetCell();
  /// The cell of a variable place, reserving it now if it is still
  /// pending (see Offset).
  uint32_t cellOf(const Offset& at);
  /// A pending cell of its own: a copy of an offset whose register libpcap
  /// has not allocated yet (after `pppoes` on a row whose payload offset
  /// is computed at run time), allocated at its first load and written by
  /// nothing but earlier relations' reuse (reuseRegister).
  int pendingCell();
  /// Whether a pending cell has been reserved by a load already.
  bool pendingReserved(const Offset& at) const {
    return pending_[static_cast<size_t>(Offset::kNoCell - 1 - at.cell)].cell != Offset::kNoCell;
  }
  /// How many cells are reserved so far.
  uint32_t reservedCells() const { return reserved_; }
  /// The first cell arithmetic may not use.
  uint32_t arithmeticCellLimit() const { return bpf::kMemWords - reserved_; }
  /// The statements loading `size` bytes at `at + k` into A (a variable
  /// place loads its cell into X first).
  std::vector<bpf::Insn> loadAt(Offset at, uint32_t k, uint8_t size);
  /// loadTest at a place that may be variable.
  ir::Fragment loadTest(Offset at, uint8_t size, uint32_t mask, uint16_t jump, uint32_t k);
  /// The statements leaving X such that the IPv4 payload starts at
  /// `x + net.constant`, for the network-layer header at `net`.
  std::vector<bpf::Insn> ipv4PayloadToX(Offset net);
  /// Where the link-layer header, the type field, the LLC header, the
  /// link-layer payload and the network-layer header start. The first use
  /// of a run-time offset reserves its cell; lower() then starts the
  /// program with the code computing it (prologue()).
  Offset linkHeader();
  Offset typeField() { return state.moved ? state.type : linkHeader().plus(link().typeOffset); }
  Offset llc();
  Offset linkPayload();
  Offset network();
  /// A block of straight-line statements that continues wherever it is
  /// sequenced to.
  ir::Fragment straight(std::vector<bpf::Insn> stmts);
  /// `first`, then `then`: every exit of `first` continues at `then`.
  ir::Fragment sequence(ir::Fragment first, ir::Fragment then);
  /// libpcap's own scratch registers, simulated: it hands out its sixteen
  /// round-robin, frees a relation's after the relation, and gives a
  /// run-time offset the next free one when the offset is first used. An
  /// offset that gets a register an earlier relation wrote is overwritten
  /// by that relation's code wherever it runs (libpcap 1.10.3 reuses the
  /// register), so sift writes the same value into the offset's cell there.
  /// Returns -1 when none is free.
  int libpcapAlloc();
  void libpcapFree(int reg);
  /// Registers a relation writes, simulated in libpcap's order; appends the
  /// writes to `writes` and returns the register holding the value.
  int simulateRegisters(const ast::Arith& a, std::vector<std::pair<int, const ast::Arith*>>& writes);
  /// Prepends, to every earlier relation that wrote libpcap register
  /// `reg`, code storing the value it wrote into sift's cell `cell`.
  void reuseRegister(int reg, int cell);

  /// Prepends to the lowered expression what libpcap puts before it: the
  /// row's frame check, then the code computing every run-time offset the
  /// expression used (at the start of the program, whatever the branch
  /// that needs it, as libpcap does: it affects truncated packets).
  ir::Fragment prologue(ir::Fragment body);

  // ---- lower_encap.cpp ----
  ir::Fragment encapsulation(const ast::Node& n);
  ir::Fragment vlan(const ast::Node& n);
  ir::Fragment mpls(const ast::Node& n);
  ir::Fragment pppoe(const ast::Node& n);
  ir::Fragment geneve(const ast::Node& n);
  ir::Fragment vxlan(const ast::Node& n);
  /// Geneve's and VXLAN's test: UDP over IPv4 or IPv6 to `port`, the
  /// tunnel header's first byte under `firstByteMask` equal to `firstByte`,
  /// the VNI if given; true with A = X = the IP header length (plus the
  /// run-time part of the network offset over IPv6), as libpcap's offset
  /// code wants it. Fails when the three offset cells cannot be had.
  ir::Fragment udpTunnel(const ast::Node& n, uint32_t port, uint32_t firstByteMask, uint32_t firstByte);
  /// After a tunnel: the link is its inner Ethernet frame, at the cells.
  void enterTunnel(const ast::Node& n, uint32_t headerCell, uint32_t typeCell, uint32_t payloadCell);
  /// An IP test inside MPLS: bottom of stack, then the version nibble.
  ir::Fragment mplsLinkProto(uint32_t etherType);
  /// Before a MAC test inside Geneve or VXLAN: the inner frame has a MAC header.
  ir::Fragment encapsulatedLinkCheck();
  /// Fixes the places from the row into `state` before the first move
  /// (leaving the row's run-time payload cell pending when no load has
  /// needed it yet).
  void beginMoving();
  /// libpcap's prologue writes the payload offset of the row (and the
  /// radio header's length) into the registers its payload (and link
  /// header) places have when parsing ends; `geneve` and `vxlan` move
  /// those to their own registers.
  void retargetRowOffsets(int headerCell, int payloadCell);
  /// A fragment that runs `stmts` and is always true.
  ir::Fragment run(std::vector<bpf::Insn> stmts);

  // ---- lower_link.cpp ----
  /// The link-layer type test for an EtherType (libpcap's gen_linktype).
  ir::Fragment linkProto(uint32_t etherType);
  /// libpcap's gen_llc_linktype: the test on an 802.2 LLC header at `llc`.
  ir::Fragment llcProto(Offset llc, uint32_t etherType);
  ir::Fragment macHost(const ast::Node& n);
  ir::Fragment mac8Host(const ast::Node& n);
  ir::Fragment linkBroadcast(Span span);
  ir::Fragment linkMulticast(Span span);
  bool requireMac(Span span, const std::string& what);

 private:
  const LinkLayer* row_;               // the link type being compiled for
  int headerCell_ = Offset::kNoCell;   // the link-layer header's variable part
  int payloadCell_ = Offset::kNoCell;  // the link-layer payload's
  /// pppoes behind a radio header: libpcap never writes the header's
  /// register, so the prologue does not either (emit zeroes the cell at
  /// the start, as every cell read before a write; lower_encap.cpp).
  bool headerCellUnwritten_ = false;
  /// Pending cells: the cell each got, kNoCell until its first load;
  /// rowPayload for the one standing for the row's payload cell.
  struct Pending {
    int cell = Offset::kNoCell;
    bool rowPayload = false;
  };
  std::vector<Pending> pending_;
  int rowPayloadPending_ = Offset::kNoCell;
  int payloadCellNow();
  /// Where the row's payload is for a place copied into the link state:
  /// its cell when reserved already, else the pending stand-in for it.
  Offset rowPayloadPlace();
  uint32_t reserved_ = 0;
  // libpcap's registers (libpcapAlloc).
  std::array<bool, bpf::kMemWords> libpcapUsed_{};
  uint32_t libpcapNext_ = 0;
  struct RegisterWrite {
    ir::BlockId block;  // the relation's test block
    int reg;
    const ast::Arith* value;
  };
  std::vector<RegisterWrite> registerWrites_;

 public:

  // ---- lower_ip.cpp ----
  ir::Fragment ipProto(uint32_t proto);
  ir::Fragment ip6Proto(uint32_t proto);
  ir::Fragment notFragment();
  ir::Fragment abbrev(ast::Proto proto, Span span, const std::string& text);
  ir::Fragment protoPrimitive(const ast::Node& n);
  ir::Fragment protochain(const ast::Node& n);
  ir::Fragment hostOrNet(const ast::Node& n);
  ir::Fragment broadcast(const ast::Node& n);
  ir::Fragment multicast(const ast::Node& n);

  // ---- lower_pflog.cpp: PFLOG header fields ----
  ir::Fragment pflogField(const ast::Node& n);

  // ---- lower_transport.cpp ----
  ir::Fragment port(const ast::Node& n);

  // ---- lower_osi.cpp ----
  static bool isOsiAbbrev(ast::Proto proto);
  ir::Fragment osiAbbrev(ast::Proto proto);
  /// The OSI network layer with this NLPID (iso proto N).
  ir::Fragment isoProto(uint32_t nlpid);
  /// An IS-IS PDU of this type (isis proto N).
  ir::Fragment isisProto(uint32_t pduType);
  ir::Fragment osiProtoPrimitive(const ast::Node& n);
  ir::Fragment llcKeyword(const ast::Node& n);
  ir::Fragment decnetHost(const ast::Node& n);
  /// Where the OSI NLPID is: the network layer of an 802.2 frame without
  /// SNAP.
  Offset nlpidPlace();

  // ---- lower_80211.cpp: 802.11 ----
  /// A data frame: the first half of the link-type test, and `llc`.
  ir::Fragment wlanDataFrame();
  /// A MAC address test on an 802.11 row: host/src/dst, addr1..4, ra, ta.
  ir::Fragment wlanMacHost(const ast::Node& n);
  ir::Fragment wlanBroadcast();
  ir::Fragment wlanMulticast();
  /// `type T [subtype S]`, `subtype S`, `dir D`.
  ir::Fragment wlanField(const ast::Node& n);
  /// Fails with a message naming the 802.11 rows unless the link is one.
  bool requireWlan(Span span, const std::string& what);
  /// The 802.11 rows (with `type`/`subtype`/`dir` when `frameControl`).
  std::string wlanRows(bool frameControl) const;
  /// The message for addr1..addr4, ra, ta before something not a MAC.
  std::string wlanDirMisuse(ast::Dir dir) const;

  // ---- lower_atm_ss7.cpp ----
  ir::Fragment atmKeyword(const ast::Node& n);
  ir::Fragment ss7Keyword(const ast::Node& n);
  /// After `lane`: the frame is not an LE control frame.
  ir::Fragment notLeControl();

  // ---- lower_direction.cpp ----
  ir::Fragment direction(const ast::Node& n);
  ir::Fragment ifindex(const ast::Node& n);
  /// "DLT_A, DLT_B" for the rows of the link-layer table that `has`.
  std::string rowsWith(bool (*has)(const LinkLayer&)) const;

  // ---- lower_arith.cpp ----
  ir::Fragment relation(const ast::Node& n);
  ir::Fragment lengthTest(const ast::Node& n);
  Value arith(const ast::Arith& a);
};

template <class Leg>
ir::Fragment Lowerer::directional(ast::Dir dir, Span span, Leg leg) {
  switch (dir) {
    case ast::Dir::Src: return leg(true);
    case ast::Dir::Dst: return leg(false);
    case ast::Dir::Default:
    case ast::Dir::SrcOrDst: {
      ir::Fragment src = leg(true);
      return either(std::move(src), leg(false));
    }
    case ast::Dir::SrcAndDst: {
      ir::Fragment src = leg(true);
      return both(std::move(src), leg(false));
    }
    default:
      return fail(span, wlanDirMisuse(dir));
  }
}

/// The qualifiers a node ends up with: resolve's when it ran, else as written.
inline const ast::Qualifiers& finalQuals(const ast::Node& n) {
  return n.isResolved ? n.resolved.quals : n.quals;
}

/// Where to point an error about a node's protocol qualifier.
inline Span protoSpanOf(const ast::Node& n) {
  const ast::Qualifiers& q = finalQuals(n);
  if (!q.protoSpan.empty()) return q.protoSpan;
  if (!n.quals.protoSpan.empty()) return n.quals.protoSpan;
  return n.span;
}

/// The spelling of a node's protocol qualifier for messages.
std::string protoText(const ast::Node& n);

}  // namespace sift::compiler::detail
