/* The pcap-filter grammar (Bison, pure, locations are byte offsets).
 *
 * The rules follow the shape of libpcap 1.10's grammar so that Bison
 * resolves the same conflicts the same way (and/or with equal precedence,
 * left-associative; `not` binding tightest; '%' and '^' without precedence,
 * grouping everything to their right). Actions only build AST nodes; the
 * qualifier inheritance that libpcap does with $<blk>0 happens afterwards in
 * compiler/resolve, from the tree shape and Node::parenthesized.
 */
%require "3.8"
%define api.pure full
%define api.prefix {sift_yy}
%define api.location.type {sift::grammar::detail::Loc}
%define parse.error custom
%define parse.lac full
%locations
%param {void* scanner}
%parse-param {sift::grammar::detail::ParseState& st}
%expect 38

%code requires {
#include "grammar/parse_state.h"
}

%code provides {
#define YY_DECL int sift_yylex(SIFT_YYSTYPE* yylval_param, SIFT_YYLTYPE* yylloc_param, void* yyscanner)
YY_DECL;
}

%code {
#include <string>

using namespace sift;
using namespace sift::grammar::detail;
using ast::ArithOp;
using ast::IdForm;
using ast::NodeKind;

#define YYLLOC_DEFAULT(Cur, Rhs, N)                          \
  do {                                                       \
    if (N) {                                                 \
      (Cur).begin = YYRHSLOC(Rhs, 1).begin;                  \
      (Cur).end = YYRHSLOC(Rhs, N).end;                      \
    } else {                                                 \
      (Cur).begin = (Cur).end = YYRHSLOC(Rhs, 0).end;        \
    }                                                        \
  } while (0)

static void sift_yyerror(SIFT_YYLTYPE* loc, void*, ParseState& st, const char* msg) {
  // Syntax errors go through yyreport_syntax_error; what is left is the
  // parser stack overflowing.
  std::string m = msg;
  if (m == "memory exhausted") m = "expression is nested too deeply";
  st.fail(toSpan(*loc), m);
}
}

%initial-action { @$.begin = 0; @$.end = 0; }

%union {
  uint32_t num;
  int code;
  sift::ast::Node* node;
  sift::ast::Arith* arith;
  sift::ast::Qualifiers* quals;
}

%destructor { delete $$; } <node> <arith> <quals>

/* Keywords and punctuation, with the spelling messages show. */
%token DST "'dst'" SRC "'src'" HOST "'host'" NET "'net'" NETMASK "'mask'"
%token PORT "'port'" PORTRANGE "'portrange'" LESS "'less'" GREATER "'greater'"
%token PROTO "'proto'"
%token RADIO "'radio'"
%token LINK "'ether'" IP "'ip'" IPV6 "'ip6'" ARP "'arp'" RARP "'rarp'"
%token TCP "'tcp'" UDP "'udp'" SCTP "'sctp'" ICMP "'icmp'" ICMPV6 "'icmp6'"
%token IGMP "'igmp'" IGRP "'igrp'" PIM "'pim'" AH "'ah'" ESP "'esp'"
%token VRRP "'vrrp'" CARP "'carp'"
%token ATALK "'atalk'" AARP "'aarp'" DECNET "'decnet'" LAT "'lat'" SCA "'sca'"
%token MOPRC "'moprc'" MOPDL "'mopdl'" ISO "'iso'" ESIS "'esis'" ISIS "'isis'"
%token L1 "'l1'" L2 "'l2'" IIH "'iih'" LSP "'lsp'" SNP "'snp'" CSNP "'csnp'"
%token PSNP "'psnp'" CLNP "'clnp'" STP "'stp'" IPX "'ipx'" NETBEUI "'netbeui'"
%token LLC "'llc'" PF_RNR "'rnr'" INBOUND "'inbound'" OUTBOUND "'outbound'"
%token IFINDEX "'ifindex'" GATEWAY "'gateway'" PROTOCHAIN "'protochain'"
%token TK_BROADCAST "'broadcast'" TK_MULTICAST "'multicast'"
%token LEN "'len'"
%token TYPE "'type'" SUBTYPE "'subtype'" DIR "'dir'"
%token ADDR1 "'addr1'" ADDR2 "'addr2'" ADDR3 "'addr3'" ADDR4 "'addr4'" RA "'ra'" TA "'ta'"
%token VLAN "'vlan'" MPLS "'mpls'" PPPOED "'pppoed'" PPPOES "'pppoes'" GENEVE "'geneve'" VXLAN "'vxlan'"
%token LANE "'lane'" ATM_TYPE "ATM cell type" ATM_FIELD "'vpi' or 'vci'"
%token MTP2_TYPE "MTP2 frame type" MTP3_FIELD "MTP3 field"
%token PF_IFNAME "'ifname'" PF_RSET "'ruleset'" PF_SRNR "'subrulenum'"
%token PF_REASON "'reason'" PF_ACTION "'action'"
%token AND "'and'" OR "'or'"
%token GEQ "'>='" LEQ "'<='" NEQ "'!='" LSH "'<<'" RSH "'>>'"
%token <num> NUM "number"
%token ID "name" HID "IPv4 address" HID6 "IPv6 address" EID "MAC address"
%token AID "'$' station address"
%token LEX_ERROR "invalid token"

%type <node> expr term rterm id nid pid qid other pllc p80211 fieldlist pfvar
%type <quals> head
%type <code> pqual dqual aqual pname relop irelop encap field
%type <arith> arth narth
%type <num> pnum

/* and/or/not need no precedence declarations: the expr rules already make
   and/or left-associative with equal precedence and `not` bind tightest
   (libpcap declares them, but Bison finds those declarations unused). */
%left '|'
%left '&'
%left LSH RSH
%left '+' '-'
%left '*' '/'
%precedence UMINUS

%%

prog:     %empty                { st.root = nullptr; }
        | expr                  { st.root = $1; }
        ;
expr:     term
        | expr and term         { $$ = makeBinary(NodeKind::And, $1, $3); }
        | expr and id           { $$ = makeBinary(NodeKind::And, $1, $3); }
        | expr or term          { $$ = makeBinary(NodeKind::Or, $1, $3); }
        | expr or id            { $$ = makeBinary(NodeKind::Or, $1, $3); }
        ;
and:      AND ;
or:       OR ;
id:       nid
        | pnum                  { $$ = makeNumberPrimitive(st, $1, @1); }
        | paren pid ')'         { $$ = widen($2, @$); }
        ;
nid:      ID                    { $$ = makeIdPrimitive(st, IdForm::Name, @1); }
        | HID '/' NUM           { $$ = makePrefixPrimitive(st, IdForm::IPv4Prefix, @1, $3, @3); }
        | HID NETMASK HID       { $$ = makeMaskPrimitive(st, @1, @3); }
        | HID                   { $$ = makeIdPrimitive(st, IdForm::IPv4, @1); }
        | HID6 '/' NUM          { $$ = makePrefixPrimitive(st, IdForm::IPv6Prefix, @1, $3, @3); }
        | HID6                  { $$ = makeIdPrimitive(st, IdForm::IPv6, @1); }
        | EID                   { $$ = makeIdPrimitive(st, IdForm::Mac, @1); }
        | AID                   { $$ = makeIdPrimitive(st, IdForm::ArcnetAddr, @1); }
        | not id                { $$ = makeNot($2, @$); }
        ;
not:      '!' ;
paren:    '(' ;
pid:      nid
        | qid and id            { $$ = makeBinary(NodeKind::And, $1, $3); }
        | qid or id             { $$ = makeBinary(NodeKind::Or, $1, $3); }
        ;
qid:      pnum                  { $$ = makeNumberPrimitive(st, $1, @1); }
        | pid
        ;
term:     rterm
        | not term              { $$ = makeNot($2, @$); }
        ;
head:     pqual dqual aqual     { $$ = makeQualifiers(st, $1, @1, $2, @2, $3, @3); }
        | pqual dqual           { $$ = makeQualifiers(st, $1, @1, $2, @2, 0, @2); }
        | pqual aqual           { $$ = makeQualifiers(st, $1, @1, 0, @1, $2, @2); }
        | pqual PROTO           { $$ = makeQualifiers(st, $1, @1, 0, @1,
                                                      int(ast::AddrKind::Proto), @2); }
        | pqual PROTOCHAIN      { $$ = makeQualifiers(st, $1, @1, 0, @1,
                                                      int(ast::AddrKind::Protochain), @2); }
        | pqual GATEWAY         { $$ = makeQualifiers(st, $1, @1, 0, @1,
                                                      int(ast::AddrKind::Gateway), @2); }
        ;
rterm:    head id               { $$ = applyHead($1, $2, @$); }
        | paren expr ')'        { $$ = makeParen($2, @$); }
        | pname                 { $$ = makeAbbrev(st, $1, @1); }
        | arth relop arth       { $$ = makeRelation($1, $2, @2, $3, @$); }
        | arth irelop arth      { $$ = makeRelation($1, $2, @2, $3, @$); }
        | other
        ;
/* protocol qualifiers; an empty one is Proto::Default */
pqual:    pname
        | %empty                { $$ = int(ast::Proto::Default); }
        ;
dqual:    SRC                   { $$ = int(ast::Dir::Src); }
        | DST                   { $$ = int(ast::Dir::Dst); }
        | SRC OR DST            { $$ = int(ast::Dir::SrcOrDst); }
        | DST OR SRC            { $$ = int(ast::Dir::SrcOrDst); }
        | SRC AND DST           { $$ = int(ast::Dir::SrcAndDst); }
        | DST AND SRC           { $$ = int(ast::Dir::SrcAndDst); }
        | ADDR1                 { $$ = int(ast::Dir::Addr1); }
        | ADDR2                 { $$ = int(ast::Dir::Addr2); }
        | ADDR3                 { $$ = int(ast::Dir::Addr3); }
        | ADDR4                 { $$ = int(ast::Dir::Addr4); }
        | RA                    { $$ = int(ast::Dir::Ra); }
        | TA                    { $$ = int(ast::Dir::Ta); }
        ;
aqual:    HOST                  { $$ = int(ast::AddrKind::Host); }
        | NET                   { $$ = int(ast::AddrKind::Net); }
        | PORT                  { $$ = int(ast::AddrKind::Port); }
        | PORTRANGE             { $$ = int(ast::AddrKind::PortRange); }
        ;
pname:    LINK                  { $$ = int(ast::Proto::Link); }
        | IP                    { $$ = int(ast::Proto::Ip); }
        | ARP                   { $$ = int(ast::Proto::Arp); }
        | RARP                  { $$ = int(ast::Proto::Rarp); }
        | SCTP                  { $$ = int(ast::Proto::Sctp); }
        | TCP                   { $$ = int(ast::Proto::Tcp); }
        | UDP                   { $$ = int(ast::Proto::Udp); }
        | ICMP                  { $$ = int(ast::Proto::Icmp); }
        | IGMP                  { $$ = int(ast::Proto::Igmp); }
        | IGRP                  { $$ = int(ast::Proto::Igrp); }
        | PIM                   { $$ = int(ast::Proto::Pim); }
        | VRRP                  { $$ = int(ast::Proto::Vrrp); }
        | CARP                  { $$ = int(ast::Proto::Carp); }
        | IPV6                  { $$ = int(ast::Proto::Ip6); }
        | ICMPV6                { $$ = int(ast::Proto::Icmp6); }
        | AH                    { $$ = int(ast::Proto::Ah); }
        | ESP                   { $$ = int(ast::Proto::Esp); }
        | ATALK                 { $$ = int(ast::Proto::Atalk); }
        | AARP                  { $$ = int(ast::Proto::Aarp); }
        | DECNET                { $$ = int(ast::Proto::Decnet); }
        | LAT                   { $$ = int(ast::Proto::Lat); }
        | SCA                   { $$ = int(ast::Proto::Sca); }
        | MOPDL                 { $$ = int(ast::Proto::Mopdl); }
        | MOPRC                 { $$ = int(ast::Proto::Moprc); }
        | ISO                   { $$ = int(ast::Proto::Iso); }
        | ESIS                  { $$ = int(ast::Proto::Esis); }
        | ISIS                  { $$ = int(ast::Proto::Isis); }
        | L1                    { $$ = int(ast::Proto::L1); }
        | L2                    { $$ = int(ast::Proto::L2); }
        | IIH                   { $$ = int(ast::Proto::Iih); }
        | LSP                   { $$ = int(ast::Proto::Lsp); }
        | SNP                   { $$ = int(ast::Proto::Snp); }
        | PSNP                  { $$ = int(ast::Proto::Psnp); }
        | CSNP                  { $$ = int(ast::Proto::Csnp); }
        | CLNP                  { $$ = int(ast::Proto::Clnp); }
        | STP                   { $$ = int(ast::Proto::Stp); }
        | IPX                   { $$ = int(ast::Proto::Ipx); }
        | NETBEUI               { $$ = int(ast::Proto::Netbeui); }
        | RADIO                 { $$ = int(ast::Proto::Radio); }
        ;
other:    pqual TK_BROADCAST    { $$ = makeCast(st, NodeKind::Broadcast, $1, @1, @2); }
        | pqual TK_MULTICAST    { $$ = makeCast(st, NodeKind::Multicast, $1, @1, @2); }
        | LESS NUM              { $$ = makeLength(NodeKind::Less, $2, @$); }
        | GREATER NUM           { $$ = makeLength(NodeKind::Greater, $2, @$); }
        | INBOUND               { $$ = makeKeyword(st, ast::Keyword::Inbound, @1, nullptr, @$); }
        | OUTBOUND              { $$ = makeKeyword(st, ast::Keyword::Outbound, @1, nullptr, @$); }
        | IFINDEX NUM           { $$ = makeKeywordNumber(st, ast::Keyword::Ifindex, @1, $2, @2); }
        | encap pnum            { $$ = makeKeywordNumber(st, ast::Keyword($1), @1, $2, @2); }
        | encap                 { $$ = makeKeyword(st, ast::Keyword($1), @1, nullptr, @1); }
        | pllc
        | pqual p80211          { $$ = $2; }
        | pfvar
        | LANE                  { $$ = makeKeyword(st, ast::Keyword::Lane, @1, nullptr, @1); }
        | ATM_TYPE              { $$ = makeKeyword(st, ast::Keyword::Atm, @1, nullptr, @1); }
        | MTP2_TYPE             { $$ = makeKeyword(st, ast::Keyword::Ss7, @1, nullptr, @1); }
        | field NUM             { $$ = makeField(st, $1, @1, int(ast::RelOp::Eq), nullptr, $2, @2); }
        | field relop NUM       { $$ = makeField(st, $1, @1, $2, &@2, $3, @3); }
        | field irelop NUM      { $$ = makeField(st, $1, @1, $2, &@2, $3, @3); }
        | field paren fieldlist ')'
                                { $$ = makeParen($3, @$); }
        ;
/* a SunATM or MTP3 header field compared with numbers */
field:    ATM_FIELD             { $$ = int(ast::Keyword::AtmField); }
        | MTP3_FIELD            { $$ = int(ast::Keyword::Ss7Field); }
        ;
/* 'vpi (1 or 2 or 3)': numbers only, joined by or (the field is two
   symbols below, before the '(') */
fieldlist: NUM                  { $$ = makeField(st, $<code>-1, @-1, int(ast::RelOp::Eq), nullptr, $1, @1); }
        | fieldlist or NUM      { $$ = makeBinary(NodeKind::Or, $1,
                                    makeField(st, $<code>-1, @-1, int(ast::RelOp::Eq), nullptr, $3, @3)); }
        ;
/* 802.11 frame control: any protocol qualifier before them is ignored, as
   in libpcap; 'subtype' alone takes a name, after 'type T' a number too */
p80211:   TYPE NUM              { $$ = makeKeywordNumber(st, ast::Keyword::Type, @1, $2, @2); }
        | TYPE ID               { $$ = makeKeyword(st, ast::Keyword::Type, @1, &@2, @$); }
        | TYPE NUM SUBTYPE NUM  { $$ = addSubtype(makeKeywordNumber(st, ast::Keyword::Type, @1, $2, @2),
                                                  makeKeywordNumber(st, ast::Keyword::Subtype, @3, $4, @4), @$); }
        | TYPE NUM SUBTYPE ID   { $$ = addSubtype(makeKeywordNumber(st, ast::Keyword::Type, @1, $2, @2),
                                                  makeKeyword(st, ast::Keyword::Subtype, @3, &@4, @4), @$); }
        | TYPE ID SUBTYPE NUM   { $$ = addSubtype(makeKeyword(st, ast::Keyword::Type, @1, &@2, @2),
                                                  makeKeywordNumber(st, ast::Keyword::Subtype, @3, $4, @4), @$); }
        | TYPE ID SUBTYPE ID    { $$ = addSubtype(makeKeyword(st, ast::Keyword::Type, @1, &@2, @2),
                                                  makeKeyword(st, ast::Keyword::Subtype, @3, &@4, @4), @$); }
        | SUBTYPE ID            { $$ = makeKeyword(st, ast::Keyword::Subtype, @1, &@2, @$); }
        | DIR NUM               { $$ = makeKeywordNumber(st, ast::Keyword::WlanDir, @1, $2, @2); }
        | DIR ID                { $$ = makeKeyword(st, ast::Keyword::WlanDir, @1, &@2, @$); }
        ;
/* PFLOG header fields: a name or a number after the keyword */
pfvar:    PF_IFNAME ID          { $$ = makeKeyword(st, ast::Keyword::Ifname, @1, &@2, @$); }
        | PF_RSET ID            { $$ = makeKeyword(st, ast::Keyword::Ruleset, @1, &@2, @$); }
        | PF_RNR NUM            { $$ = makeKeywordNumber(st, ast::Keyword::Rnr, @1, $2, @2); }
        | PF_SRNR NUM           { $$ = makeKeywordNumber(st, ast::Keyword::Srnr, @1, $2, @2); }
        | PF_REASON NUM         { $$ = makeKeywordNumber(st, ast::Keyword::Reason, @1, $2, @2); }
        | PF_REASON ID          { $$ = makeKeyword(st, ast::Keyword::Reason, @1, &@2, @$); }
        | PF_ACTION ID          { $$ = makeKeyword(st, ast::Keyword::Action, @1, &@2, @$); }
        ;
/* the encapsulations, which shift every offset parsed after them */
encap:    VLAN                  { $$ = int(ast::Keyword::Vlan); }
        | MPLS                  { $$ = int(ast::Keyword::Mpls); }
        | PPPOED                { $$ = int(ast::Keyword::Pppoed); }
        | PPPOES                { $$ = int(ast::Keyword::Pppoes); }
        | GENEVE                { $$ = int(ast::Keyword::Geneve); }
        | VXLAN                 { $$ = int(ast::Keyword::Vxlan); }
        ;
pllc:     LLC                   { $$ = makeKeyword(st, ast::Keyword::Llc, @1, nullptr, @$); }
        | LLC ID                { $$ = makeKeyword(st, ast::Keyword::Llc, @1, &@2, @$); }
        | LLC PF_RNR            { $$ = makeKeyword(st, ast::Keyword::Llc, @1, &@2, @$);
                                  $$->keywordArg->text = "rnr"; /* also spelled 'rulenum' */ }
        ;
relop:    '>'                   { $$ = int(ast::RelOp::Gt); }
        | GEQ                   { $$ = int(ast::RelOp::Ge); }
        | '='                   { $$ = int(ast::RelOp::Eq); }
        ;
irelop:   LEQ                   { $$ = int(ast::RelOp::Le); }
        | '<'                   { $$ = int(ast::RelOp::Lt); }
        | NEQ                   { $$ = int(ast::RelOp::Ne); }
        ;
arth:     pnum                  { $$ = makeArithNumber($1, @1); }
        | narth
        ;
narth:    pname '[' arth ']'    { $$ = makeArithLoad(st, $1, @1, $3, 1, nullptr, @$); }
        | pname '[' arth ':' NUM ']'
                                { $$ = makeArithLoad(st, $1, @1, $3, $5, &@5, @$); }
        | arth '+' arth         { $$ = makeArithBinary($1, ArithOp::Add, @2, $3); }
        | arth '-' arth         { $$ = makeArithBinary($1, ArithOp::Sub, @2, $3); }
        | arth '*' arth         { $$ = makeArithBinary($1, ArithOp::Mul, @2, $3); }
        | arth '/' arth         { $$ = makeArithBinary($1, ArithOp::Div, @2, $3); }
        | arth '%' arth         { $$ = makeArithBinary($1, ArithOp::Mod, @2, $3); }
        | arth '&' arth         { $$ = makeArithBinary($1, ArithOp::And, @2, $3); }
        | arth '|' arth         { $$ = makeArithBinary($1, ArithOp::Or, @2, $3); }
        | arth '^' arth         { $$ = makeArithBinary($1, ArithOp::Xor, @2, $3); }
        | arth LSH arth         { $$ = makeArithBinary($1, ArithOp::Lsh, @2, $3); }
        | arth RSH arth         { $$ = makeArithBinary($1, ArithOp::Rsh, @2, $3); }
        | '-' arth %prec UMINUS { $$ = makeArithNegate($2, @$); }
        | paren narth ')'       { $$ = widenArith($2, @$); }
        | LEN                   { $$ = makeArithLength(@1); }
        ;
pnum:     NUM
        | paren pnum ')'        { $$ = $2; }
        ;

%%

/* Syntax errors name the token that did not fit and what would have: a
   value where a qualifier was expected gets a hint, a keyword after 'proto'
   gets the escape, short lists of expected tokens are spelled out. */
static bool isValueToken(yysymbol_kind_t t) {
  return t == YYSYMBOL_ID || t == YYSYMBOL_HID || t == YYSYMBOL_HID6 || t == YYSYMBOL_EID ||
         t == YYSYMBOL_AID || t == YYSYMBOL_NUM;
}

static bool isProtoKeyword(yysymbol_kind_t t) {
  switch (t) {
    case YYSYMBOL_LINK: case YYSYMBOL_IP: case YYSYMBOL_IPV6: case YYSYMBOL_ARP:
    case YYSYMBOL_RARP: case YYSYMBOL_TCP: case YYSYMBOL_UDP: case YYSYMBOL_SCTP:
    case YYSYMBOL_ICMP: case YYSYMBOL_ICMPV6: case YYSYMBOL_IGMP: case YYSYMBOL_IGRP:
    case YYSYMBOL_PIM: case YYSYMBOL_AH: case YYSYMBOL_ESP: case YYSYMBOL_VRRP:
    case YYSYMBOL_CARP: case YYSYMBOL_ATALK: case YYSYMBOL_AARP: case YYSYMBOL_DECNET:
    case YYSYMBOL_LAT: case YYSYMBOL_SCA: case YYSYMBOL_MOPRC: case YYSYMBOL_MOPDL:
    case YYSYMBOL_ISO: case YYSYMBOL_ESIS: case YYSYMBOL_ISIS: case YYSYMBOL_L1:
    case YYSYMBOL_L2: case YYSYMBOL_IIH: case YYSYMBOL_LSP: case YYSYMBOL_SNP:
    case YYSYMBOL_CSNP: case YYSYMBOL_PSNP: case YYSYMBOL_CLNP: case YYSYMBOL_STP:
    case YYSYMBOL_IPX: case YYSYMBOL_NETBEUI: case YYSYMBOL_RADIO:
      return true;
    default:
      return false;
  }
}

/* The keywords of the language, for "keywords are lower-case" hints. */
static bool isKeywordSpelling(const std::string& w) {
  static const char* const words[] = {
      "dst", "src", "host", "net", "mask", "port", "portrange", "proto", "less", "greater",
      "link", "ether", "ppp", "slip", "fddi", "tr", "wlan", "ip", "ip6", "arp", "rarp", "tcp",
      "udp", "sctp", "icmp", "icmp6", "igmp", "igrp", "pim", "ah", "esp", "vrrp", "carp",
      "broadcast", "multicast", "and", "or", "not", "len", "length", "atalk", "aarp", "decnet",
      "lat", "sca", "moprc", "mopdl", "iso", "esis", "isis", "l1", "l2", "iih", "lsp", "snp",
      "csnp", "psnp", "clnp", "stp", "ipx", "netbeui", "llc", "inbound", "outbound", "ifindex",
      "gateway", "protochain", "vlan", "mpls", "pppoed", "pppoes", "geneve", "vxlan", "type", "subtype",
      "dir", "direction", "addr1", "addr2", "addr3", "addr4", "address1", "address2", "address3",
      "address4", "ra", "ta", "lane", "metac", "bcc", "oam", "oamf4", "oamf4ec", "oamf4sc", "sc",
      "ilmic", "connectmsg", "metaconnect", "vpi", "vci", "fisu", "lssu", "lsu", "msu", "hfisu",
      "hlssu", "hmsu", "sio", "opc", "dpc", "sls", "hsio", "hopc", "hdpc", "hsls"};
  for (const char* k : words)
    if (w == k) return true;
  return false;
}

/* What a value of this kind could follow, for the "needs a qualifier" hint. */
static std::string qualifierHint(yysymbol_kind_t t, const std::string& v) {
  switch (t) {
    case YYSYMBOL_NUM: return "'port " + v + "', 'host " + v + "' or 'net " + v + "'";
    case YYSYMBOL_HID: return "'host " + v + "' or 'net " + v + "'";
    case YYSYMBOL_HID6: return "'host " + v + "' or 'net " + v + "'";
    case YYSYMBOL_EID: return "'ether host " + v + "'";
    case YYSYMBOL_AID: return "'link host " + v + "'";
    default: return "'host " + v + "', 'net " + v + "' or 'port " + v + "'";
  }
}

static int yyreport_syntax_error(const yypcontext_t* ctx, void*, ParseState& st) {
  if (st.error) return 0;  // the scanner already explained itself
  const SIFT_YYLTYPE* loc = yypcontext_location(ctx);
  yysymbol_kind_t tok = yypcontext_token(ctx);
  yysymbol_kind_t expected[YYNTOKENS];
  int n = yypcontext_expected_tokens(ctx, expected, YYNTOKENS);
  if (n < 0) n = 0;
  auto expects = [&](yysymbol_kind_t k) {
    for (int i = 0; i < n; ++i)
      if (expected[i] == k) return true;
    return false;
  };
  const std::string text(st.text(*loc));
  Span span = toSpan(*loc);
  std::string msg;
  if (tok == YYSYMBOL_YYEOF) {
    span = Span{uint32_t(st.source.size()), uint32_t(st.source.size())};
    msg = "unexpected end of expression";
  } else {
    if (tok == YYSYMBOL_ID) {
      std::string lower = text;
      for (char& c : lower) c = char(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
      if (lower != text && isKeywordSpelling(lower)) {
        st.fail(span, "unexpected '" + text + "'; keywords are lower-case: write '" + lower + "'");
        return 0;
      }
    }
    if (expects(YYSYMBOL_PF_RNR) && expects(YYSYMBOL_ID) && !expects(YYSYMBOL_HOST)) {
      // Right after 'llc': only a frame kind may follow.
      st.fail(span, "unexpected '" + text + "' after 'llc', which takes a frame kind (i, s, u, rr, "
                    "rnr, rej, ui, ua, disc, dm, sabme, test, xid or frmr) or nothing");
      return 0;
    }
    if (tok == YYSYMBOL_NUM && expects(YYSYMBOL_ID) && !expects(YYSYMBOL_NUM)) {
      // Only a name fits: 'subtype' alone takes a subtype name.
      std::string before(st.source.substr(0, loc->begin));
      while (!before.empty() && before.back() == ' ') before.pop_back();
      const bool subtype = before.size() >= 7 && before.compare(before.size() - 7, 7, "subtype") == 0;
      st.fail(span, "unexpected number '" + text + "'; a name is expected here" +
                        (subtype ? std::string(" ('subtype' alone takes a subtype name such as beacon, ack or "
                                               "qos-data; 'type T subtype N' takes a number)")
                                 : std::string()));
      return 0;
    }
    if (isValueToken(tok) && expects(YYSYMBOL_HOST)) {
      st.fail(span, "'" + text + "' needs a qualifier before it, such as " +
                        qualifierHint(tok, text));
      return 0;
    }
    if (isProtoKeyword(tok) && expects(YYSYMBOL_ID)) {
      st.fail(span, "'" + text + "' is a keyword; to use it as a name here, escape it as '\\" +
                        text + "'");
      return 0;
    }
    msg = "unexpected ";
    if (isValueToken(tok)) msg += std::string(yysymbol_name(tok)) + " ";
    msg += "'" + text + "'";
  }
  if (expects(YYSYMBOL_ID)) {
    msg += "; expected a name, number or address";
  } else if (expects(YYSYMBOL_GEQ)) {
    msg += "; expected a comparison such as '=', '!=', '<' or '>'";
  } else if (n > 0 && n <= 5) {
    msg += "; expected ";
    for (int i = 0; i < n; ++i) {
      if (i) msg += (i + 1 == n) ? " or " : ", ";
      msg += expected[i] == YYSYMBOL_YYEOF ? "end of expression" : yysymbol_name(expected[i]);
    }
  }
  st.fail(span, msg);
  return 0;
}
