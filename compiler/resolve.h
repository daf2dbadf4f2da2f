// The resolve pass: a parsed tree -> a tree lowering can trust.
//
// resolve() walks the tree once, left to right, and for every node:
//  - computes the final qualifiers of each primitive: libpcap's qualifier
//    inheritance ("host a or b", "tcp port 80 or 443", "port (80 or 443)")
//    and then the defaults (an address or name with no type is a host);
//  - turns the id into values: IPv4/IPv6 networks, MAC addresses, port
//    numbers or ranges, protocol numbers, looking names up through the
//    injected NameResolver;
//  - makes every qualifier and range check libpcap makes for the language
//    ('port' takes 0 to 65535, 'ether host 1.2.3.4', 'tcp host x', prefix
//    lengths, non-network bits, data sizes, division by a constant zero).
// It fills Node::resolved and sets Node::isResolved on every node. Checks
// that depend on the link type (e.g. 'ether host' on DLT_RAW) are left to
// lowering. The first error stops the pass.
#pragma once

#include <cstdint>

#include "grammar/ast.h"
#include "sift/compile.h"
#include "sift/diagnostics.h"

namespace sift::compiler {

struct ResolveOptions {
  uint32_t linktype = 1;                   // DLT_EN10MB
  const NameResolver* resolver = nullptr;  // null: the system resolver
};

Status resolve(ast::Tree& tree, const ResolveOptions& options);

}  // namespace sift::compiler
