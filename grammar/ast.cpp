// Names of qualifier values and the one-line S-expression dump of a tree
// (golden tests and `sift --print-ast`). Resolved primitives also show what
// resolve made of them after "=>".
#include "grammar/ast.h"

#include <arpa/inet.h>

#include <cstdio>

namespace sift::ast {

const char* protoName(Proto p) {
  switch (p) {
    case Proto::Default: return "default";
    case Proto::Link: return "link";
    case Proto::Ip: return "ip";
    case Proto::Ip6: return "ip6";
    case Proto::Arp: return "arp";
    case Proto::Rarp: return "rarp";
    case Proto::Tcp: return "tcp";
    case Proto::Udp: return "udp";
    case Proto::Sctp: return "sctp";
    case Proto::Icmp: return "icmp";
    case Proto::Icmp6: return "icmp6";
    case Proto::Igmp: return "igmp";
    case Proto::Igrp: return "igrp";
    case Proto::Pim: return "pim";
    case Proto::Ah: return "ah";
    case Proto::Esp: return "esp";
    case Proto::Vrrp: return "vrrp";
    case Proto::Carp: return "carp";
    case Proto::Atalk: return "atalk";
    case Proto::Aarp: return "aarp";
    case Proto::Decnet: return "decnet";
    case Proto::Lat: return "lat";
    case Proto::Sca: return "sca";
    case Proto::Moprc: return "moprc";
    case Proto::Mopdl: return "mopdl";
    case Proto::Iso: return "iso";
    case Proto::Esis: return "esis";
    case Proto::Isis: return "isis";
    case Proto::L1: return "l1";
    case Proto::L2: return "l2";
    case Proto::Iih: return "iih";
    case Proto::Lsp: return "lsp";
    case Proto::Snp: return "snp";
    case Proto::Csnp: return "csnp";
    case Proto::Psnp: return "psnp";
    case Proto::Clnp: return "clnp";
    case Proto::Stp: return "stp";
    case Proto::Ipx: return "ipx";
    case Proto::Netbeui: return "netbeui";
    case Proto::Radio: return "radio";
  }
  return "?";
}

const char* dirName(Dir d) {
  switch (d) {
    case Dir::Default: return "default";
    case Dir::Src: return "src";
    case Dir::Dst: return "dst";
    case Dir::SrcOrDst: return "src-or-dst";
    case Dir::SrcAndDst: return "src-and-dst";
    case Dir::Addr1: return "addr1";
    case Dir::Addr2: return "addr2";
    case Dir::Addr3: return "addr3";
    case Dir::Addr4: return "addr4";
    case Dir::Ra: return "ra";
    case Dir::Ta: return "ta";
  }
  return "?";
}

const char* addrKindName(AddrKind k) {
  switch (k) {
    case AddrKind::Default: return "default";
    case AddrKind::Host: return "host";
    case AddrKind::Net: return "net";
    case AddrKind::Port: return "port";
    case AddrKind::PortRange: return "portrange";
    case AddrKind::Proto: return "proto";
    case AddrKind::Protochain: return "protochain";
    case AddrKind::Gateway: return "gateway";
  }
  return "?";
}

namespace {

const char* arithOpName(ArithOp op) {
  switch (op) {
    case ArithOp::Add: return "+";
    case ArithOp::Sub: return "-";
    case ArithOp::Mul: return "*";
    case ArithOp::Div: return "/";
    case ArithOp::Mod: return "%";
    case ArithOp::And: return "&";
    case ArithOp::Or: return "|";
    case ArithOp::Xor: return "^";
    case ArithOp::Lsh: return "<<";
    case ArithOp::Rsh: return ">>";
  }
  return "?";
}

const char* relOpName(RelOp op) {
  switch (op) {
    case RelOp::Eq: return "=";
    case RelOp::Ne: return "!=";
    case RelOp::Lt: return "<";
    case RelOp::Le: return "<=";
    case RelOp::Gt: return ">";
    case RelOp::Ge: return ">=";
  }
  return "?";
}

void quals(std::string& out, const Qualifiers& q) {
  if (q.proto != Proto::Default) (out += ' ') += protoName(q.proto);
  if (q.dir != Dir::Default) (out += ' ') += dirName(q.dir);
  if (q.kind != AddrKind::Default) (out += ' ') += addrKindName(q.kind);
}

void id(std::string& out, const Id& i) {
  switch (i.form) {
    case IdForm::Name: out += "name:" + i.text; break;
    case IdForm::Number: out += "num:" + std::to_string(i.number); break;
    case IdForm::IPv4: out += "ipv4:" + i.text; break;
    case IdForm::IPv4Prefix: out += "ipv4:" + i.text + "/" + std::to_string(i.number); break;
    case IdForm::IPv4Mask: out += "ipv4:" + i.text + "&" + i.text2; break;
    case IdForm::IPv6: out += "ipv6:" + i.text; break;
    case IdForm::IPv6Prefix: out += "ipv6:" + i.text + "/" + std::to_string(i.number); break;
    case IdForm::Mac: out += "mac:" + i.text; break;
    case IdForm::ArcnetAddr: out += "aid:" + i.text; break;
  }
}

std::string v4(uint32_t a) {
  return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 255) + "." +
         std::to_string((a >> 8) & 255) + "." + std::to_string(a & 255);
}

void resolved(std::string& out, const Node& n) {
  const auto& r = n.resolved;
  out += " =>";
  quals(out, r.quals);
  for (const auto& net : r.v4) {
    out += ' ' + v4(net.addr);
    if (net.mask != 0xffffffff) out += '&' + v4(net.mask);
  }
  for (const auto& net : r.v6) {
    char buf[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, net.addr.data(), buf, sizeof buf);
    out += ' ';
    out += buf;
    if (net.prefix != 128) out += '/' + std::to_string(net.prefix);
  }
  if (r.decnet) out += " dn:" + std::to_string(*r.decnet >> 10) + '.' + std::to_string(*r.decnet & 1023);
  if (r.mac) {
    char buf[24];
    const auto& m = *r.mac;
    std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4],
                  m[5]);
    out += ' ';
    out += buf;
  }
  if (r.mac8) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "$%02x", *r.mac8);
    out += ' ';
    out += buf;
  }
  AddrKind k = r.quals.kind;
  if (k == AddrKind::Port || k == AddrKind::PortRange || k == AddrKind::Proto ||
      k == AddrKind::Protochain) {
    out += ' ' + std::to_string(r.portLow);
    if (k == AddrKind::PortRange) out += '-' + std::to_string(r.portHigh);
  }
  if (r.portProto != Proto::Default) (out += " only-") += protoName(r.portProto);
}

void arith(std::string& out, const Arith& a) {
  switch (a.kind) {
    case ArithKind::Number: out += std::to_string(a.value); return;
    case ArithKind::Length: out += "len"; return;
    case ArithKind::Load:
      out += protoName(a.proto);
      out += '[';
      arith(out, *a.lhs);
      out += ':' + std::to_string(a.size) + ']';
      return;
    case ArithKind::Binary:
      out += '(';
      out += arithOpName(a.op);
      out += ' ';
      arith(out, *a.lhs);
      out += ' ';
      arith(out, *a.rhs);
      out += ')';
      return;
    case ArithKind::Negate:
      out += "(neg ";
      arith(out, *a.lhs);
      out += ')';
      return;
  }
}

void node(std::string& out, const Node& n) {
  if (n.parenthesized) out += "(group ";
  switch (n.kind) {
    case NodeKind::And:
    case NodeKind::Or:
      out += n.kind == NodeKind::And ? "(and " : "(or ";
      node(out, *n.children[0]);
      out += ' ';
      node(out, *n.children[1]);
      out += ')';
      break;
    case NodeKind::Not:
      out += "(not ";
      node(out, *n.children[0]);
      out += ')';
      break;
    case NodeKind::Primitive:
      out += "(primitive";
      if (n.bareId) out += " bare";
      quals(out, n.quals);
      out += ' ';
      id(out, n.id);
      if (n.isResolved) resolved(out, n);
      out += ')';
      break;
    case NodeKind::Abbrev:
      out += "(abbrev ";
      out += protoName(n.proto);
      out += ')';
      break;
    case NodeKind::Broadcast:
    case NodeKind::Multicast:
      out += n.kind == NodeKind::Broadcast ? "(broadcast" : "(multicast";
      if (n.proto != Proto::Default) (out += ' ') += protoName(n.proto);
      out += ')';
      break;
    case NodeKind::Less:
    case NodeKind::Greater:
      out += n.kind == NodeKind::Less ? "(less " : "(greater ";
      out += std::to_string(n.number) + ')';
      break;
    case NodeKind::Relation:
      out += "(relation ";
      out += relOpName(n.relOp);
      out += ' ';
      arith(out, *n.lhs);
      out += ' ';
      arith(out, *n.rhs);
      out += ')';
      break;
    case NodeKind::Keyword:
      out += "(keyword " + n.keywordText;
      if (n.keyword == Keyword::AtmField || n.keyword == Keyword::Ss7Field) {
        out += ' ';
        out += relOpName(n.relOp);
      }
      if (n.keywordArg) {
        out += ' ';
        id(out, *n.keywordArg);
      }
      if (n.keywordArg2) {
        out += " subtype ";
        id(out, *n.keywordArg2);
      }
      if (n.isResolved && n.resolved.llc) {
        const auto& c = *n.resolved.llc;
        char buf[40];
        if (c.iFrame) std::snprintf(buf, sizeof buf, " => control&0x01==0");
        else std::snprintf(buf, sizeof buf, " => control&0x%02x==0x%02x", c.mask, c.value);
        out += buf;
      }
      out += ')';
      break;
  }
  if (n.parenthesized) out += ')';
}

}  // namespace

std::string dump(const Tree& tree) {
  if (!tree.root) return "(empty)";
  std::string out;
  node(out, *tree.root);
  return out;
}

}  // namespace sift::ast
