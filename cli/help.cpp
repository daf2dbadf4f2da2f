// `sift --help`, `--version` and `--list-linktypes`, and the one-line
// usage reminder printed after a usage error.
#include <cstdio>

#include "cli/commands.h"
#include "cli/engine.h"
#include "cli/exit_codes.h"
#include "sift/linktype.h"

#ifndef SIFT_VERSION
#define SIFT_VERSION "unknown"
#endif

namespace sift::cli {

namespace {

constexpr const char* kUsage =
    "usage: sift [-d | -dd | -ddd] [-O | -O0 | -O1 | -O2] [-y LINKTYPE] [-s SNAPLEN]\n"
    "            [--optimize=size|speed|none] [--print-after=PASS] [--print-after-all]\n"
    "            [--stats] [--dot] [-F FILE] [--] EXPRESSION...\n"
    "       sift [-d | -dd | -ddd | --dot] --program FILE\n"
    "       sift -r FILE [-w OUT] [-c COUNT] [-t | -tt] [-s SNAPLEN] [--engine vm|jit|libpcap]\n"
    "            [-F FILE] [--] EXPRESSION...\n"
    "       sift -i IFACE [-w OUT] [-c COUNT] [-p] [-t | -tt] [-s SNAPLEN] [--engine vm|jit]\n"
    "            [-F FILE] [--] EXPRESSION...\n"
    "       sift bench [--engine vm|jit|libpcap|all] [-y LINKTYPE] [-O...] [--min-time SECONDS]\n"
    "            -r FILE [-F FILE] [--] EXPRESSION...\n"
    "       sift -D | --help | --version | --list-linktypes\n";

constexpr const char* kDetails =
    "\n"
    "Compile a pcap-filter (tcpdump) expression to classic BPF and print it,\n"
    "or filter a pcap / pcapng file with it.\n"
    "\n"
    "Listings (the default when no -r is given):\n"
    "  -d               the program as readable assembly (the default)\n"
    "  -dd              the program as a C array\n"
    "  -ddd             the program as decimal numbers, a count first\n"
    "  -O               no optimizer (as tcpdump); same as -O0 and --no-optimize\n"
    "  -O0, -O1, -O2    optimizer level: none, size first (default), speed;\n"
    "                   also --optimize=none, --optimize=size, --optimize=speed\n"
    "  -y LINKTYPE      link type by name or number (EN10MB, en10mb, DLT_RAW, 113);\n"
    "                   default EN10MB; see --list-linktypes; also --linktype=\n"
    "  -s SNAPLEN       what a matching packet returns, 1 to 262144; 0 means 262144\n"
    "                   (the default); also --snapshot-length=\n"
    "  -F FILE          read the expression from FILE ('-' for standard input);\n"
    "                   '#' starts a comment; words on the command line are ignored\n"
    "\n"
    "Inside the compiler (listings, -r with -d, and sift bench):\n"
    "  --print-after=PASS[,PASS...]\n"
    "                   print the IR after each named optimizer pass on standard\n"
    "                   error ('lower': as lowering left it); may be repeated\n"
    "  --print-after-all  print the IR after lowering and after every pass\n"
    "  --stats          print what each pass removed, then the final size, on\n"
    "                   standard error\n"
    "  --dot            print the program's control-flow graph for Graphviz instead\n"
    "                   of the listing\n"
    "  --program FILE   print (-d, -dd, -ddd) or draw (--dot) the program in FILE,\n"
    "                   in the -ddd format ('-' for standard input), not an expression\n"
    "\n"
    "Reading capture files:\n"
    "  -r FILE          filter FILE (pcap or pcapng); print one line per matching\n"
    "                   packet, then 'N packets matched of M' on standard error\n"
    "  -w OUT           write the matching packets to OUT instead: a pcap file, or\n"
    "                   pcapng when OUT ends in '.pcapng'; OUT appears only when\n"
    "                   the whole input was read without error\n"
    "  -c COUNT         stop after COUNT matching packets\n"
    "  -t, -tt          print no time stamp, or seconds since the epoch\n"
    "  -d, -dd, -ddd    print the program compiled for FILE's link type and stop\n"
    "  --engine vm|jit|libpcap\n"
    "                   run the filter in the interpreter, the JIT (the default\n"
    "                   where built), or libpcap's bpf_filter()\n"
    "  -n, -q           accepted for tcpdump users; sift always prints numbers\n"
    "\n"
    "Live capture (Linux; needs CAP_NET_RAW):\n"
    "  -i IFACE         capture on IFACE ('any' for all), the filter attached in the\n"
    "                   kernel; print or -w as with -r until -c COUNT packets or\n"
    "                   Ctrl-C, which ends the capture normally (-w OUT is written)\n"
    "  -p               do not put the interface into promiscuous mode\n"
    "  -d, -dd, -ddd    print the program attached to IFACE and stop\n"
    "  -D               list the interfaces -i can capture on\n"
    "\n"
    "Timing the engines: sift bench -r FILE EXPRESSION\n"
    "  reads FILE into memory, compiles EXPRESSION once for its link type (or -y)\n"
    "  and runs it over every packet, again and again, on each engine; prints\n"
    "  'ENGINE: N.NN ns/packet (P packets, A accepted)' per engine\n"
    "  --engine E       vm, jit, libpcap or all (the default: every engine built in)\n"
    "  --min-time SECONDS  run each engine at least this long (default 0.5) and\n"
    "                   at least 20 passes\n"
    "\n"
    "Other:\n"
    "  --               end of options: an expression may then start with '-'\n"
    "  -h, --help       this text\n"
    "  --version        the version and the engines of this build\n"
    "  --list-linktypes the link types -y accepts, with their numbers and what\n"
    "                   filters on each can test\n"
    "\n"
    "Options may come before or after the expression words; the words are\n"
    "joined with spaces. Quote the expression to keep the shell away from it.\n"
    "\n"
    "Exit status:\n"
    "  0    success (also when no packet matched)\n"
    "  64   usage error: unknown option, missing or bad argument, bad link type\n"
    "  65   the expression was rejected\n"
    "  66   an input file is missing, unreadable or damaged, or the interface\n"
    "       cannot be opened\n"
    "  70   internal error: sift compiled a program that fails validation\n"
    "  73   the -w output file cannot be created\n"
    "  74   writing output failed, or the capture failed\n"
    "  130  interrupted by SIGINT (143: SIGTERM); the -w output is left untouched\n"
    "\n"
    "Examples:\n"
    "  sift -d 'tcp port 80'\n"
    "  sift -ddd -y RAW 'udp and dst port 53'\n"
    "  sift -r trace.pcapng -c 10 icmp\n"
    "  sift -r trace.pcap -w web.pcap 'tcp port 80 or tcp port 443'\n"
    "  sift -i eth0 -c 5 'udp port 53'\n"
    "  sift --dot 'tcp port 80' | dot -Tsvg > tcp80.svg\n"
    "  sift bench -r trace.pcap 'tcp port 443'\n";

}  // namespace

int printHelp(std::FILE* out) {
  std::fputs(kUsage, out);
  std::fputs(kDetails, out);
  return ExitOk;
}

void printUsage() {
  std::fputs(kUsage, stderr);
  printUsageHint();
}

void printUsageHint() { std::fputs("run 'sift --help' for the options\n", stderr); }

int printVersion() {
  std::printf("sift %s\n", SIFT_VERSION);
  std::printf("engines: %s\n", availableEngines());
  std::printf("listings follow tcpdump 4.99.3 with libpcap 1.10.3\n");
  return ExitOk;
}

int printLinktypes() {
  for (const auto& info : knownLinktypes()) {
    std::printf("%-26.*s %5u  %.*s\n", static_cast<int>(info.name.size()), info.name.data(), info.dlt,
                static_cast<int>(info.description.size()), info.description.data());
    std::printf("%34s filters: %s\n", "", linktypeFilters(info.dlt).c_str());
  }
  return ExitOk;
}

}  // namespace sift::cli
