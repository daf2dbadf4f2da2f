// Tests for the sift command-line parser: tcpdump-style bundling and
// permutation, the -O forms, -s and -c values, long options, and the
// checks on which options go together.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "cli/options.h"

using namespace sift::cli;

namespace {

sift::Expected<Options> parse(std::vector<std::string_view> args) { return parseOptions(args); }

std::string errorOf(std::vector<std::string_view> args) {
  auto o = parse(args);
  return o ? std::string("(no error)") : o.error().message;
}

}  // namespace

TEST_CASE("words become the expression, options may come anywhere") {
  auto o = parse({"tcp", "-d", "port", "80"});
  REQUIRE(o);
  CHECK(o->mode == Mode::Compile);
  CHECK(o->dumpLevel == 1);
  CHECK(joinExpression(o->expressionWords) == "tcp port 80");
}

TEST_CASE("-- ends the options") {
  auto o = parse({"-d", "--", "-1", "-d", "=", "x"});
  REQUIRE(o);
  CHECK(o->dumpLevel == 1);
  CHECK(joinExpression(o->expressionWords) == "-1 -d = x");
}

TEST_CASE("a lone '-' is a word") {
  auto o = parse({"len", "-", "1", ">", "0"});
  REQUIRE(o);
  CHECK(joinExpression(o->expressionWords) == "len - 1 > 0");
}

TEST_CASE("-d counts: -dd and -ddd, bundled or not") {
  CHECK(parse({"-dd"})->dumpLevel == 2);
  CHECK(parse({"-ddd"})->dumpLevel == 3);
  CHECK(parse({"-d", "-d", "-d"})->dumpLevel == 3);
  CHECK(parse({"-dO"})->dumpLevel == 1);
}

TEST_CASE("-O without a digit turns the optimizer off, as in tcpdump") {
  CHECK(parse({})->optimizeLevel == 1);
  CHECK(parse({"-O"})->optimizeLevel == 0);
  CHECK(parse({"-O0"})->optimizeLevel == 0);
  CHECK(parse({"-O1"})->optimizeLevel == 1);
  CHECK(parse({"-O2"})->optimizeLevel == 2);
  CHECK(parse({"--no-optimize"})->optimizeLevel == 0);
  auto o = parse({"-Od"});
  REQUIRE(o);
  CHECK(o->optimizeLevel == 0);
  CHECK(o->dumpLevel == 1);
  CHECK(errorOf({"-O3"}) == "unknown optimization level '-O3' (use -O, -O0, -O1 or -O2)");
}

TEST_CASE("values attached or separate") {
  auto a = parse({"-s96", "-yRAW", "-FF.txt"});
  auto b = parse({"-s", "96", "-y", "RAW", "-F", "F.txt"});
  REQUIRE(a);
  REQUIRE(b);
  for (const Options* o : {&*a, &*b}) {
    CHECK(o->snaplen == 96u);
    CHECK(o->linktype == "RAW");
    CHECK(o->filterFile == "F.txt");
  }
  auto r = parse({"-c5", "-rin.pcap", "-wout.pcap"});
  REQUIRE(r);
  CHECK(r->count == 5u);
  CHECK(r->readFile == "in.pcap");
  CHECK(r->writeFile == "out.pcap");
}

TEST_CASE("bundled flags end at an option that takes a value") {
  auto o = parse({"-tnr", "in.pcap", "ip"});
  REQUIRE(o);
  CHECK(o->mode == Mode::Read);
  CHECK(o->readFile == "in.pcap");
  CHECK(o->timestamps == sift::cli::TimestampStyle::None);
}

TEST_CASE("-s: 0 means 262144, the range is checked") {
  CHECK(parse({"-s", "0"})->snaplen == kMaxSnaplen);
  CHECK(parse({"-s", "262144"})->snaplen == 262144u);
  CHECK(errorOf({"-s", "262145"}) == "invalid snaplen '262145' (must be a number from 0 to 262144)");
  CHECK(errorOf({"-s", "-1"}) == "invalid snaplen '-1' (must be a number from 0 to 262144)");
  CHECK(errorOf({"-s", "12k"}) == "invalid snaplen '12k' (must be a number from 0 to 262144)");
}

TEST_CASE("-c wants a positive number") {
  CHECK(parse({"-r", "f", "-c", "3"})->count == 3u);
  CHECK(errorOf({"-c", "0"}) == "invalid packet count '0' (must be a positive number)");
  CHECK(errorOf({"-c", "ip"}) == "invalid packet count 'ip' (must be a positive number)");
}

TEST_CASE("-y keeps the text for the caller to resolve") {
  auto o = parse({"-y", "en10mb", "ip"});
  REQUIRE(o);
  CHECK(o->linktype == "en10mb");
  CHECK(parse({"--linktype=113"})->linktype == "113");
  CHECK(parse({"--linktype", "RAW"})->linktype == "RAW");
}

TEST_CASE("long options") {
  CHECK(parse({"--help"})->mode == Mode::Help);
  CHECK(parse({"-h"})->mode == Mode::Help);
  CHECK(parse({"--version"})->mode == Mode::Version);
  CHECK(parse({"--list-linktypes"})->mode == Mode::ListLinktypes);
  CHECK(parse({"--snapshot-length=100"})->snaplen == 100u);
  CHECK(parse({"-r", "f", "--engine", "jit"})->engine == Engine::Jit);
  CHECK(parse({"-r", "f", "--engine=vm"})->engine == Engine::Vm);
  CHECK(errorOf({"--engine=gpu"}) == "unknown engine 'gpu' (use 'vm', 'jit', 'libpcap' or 'all')");
  CHECK(errorOf({"--help=yes"}) == "option '--help' takes no argument");
  CHECK(errorOf({"--linktype"}) == "option '--linktype' needs an argument");
  CHECK(errorOf({"--frob"}) == "unknown option '--frob'");
}

TEST_CASE("usage errors quote the offending text") {
  CHECK(errorOf({"-Z"}) == "unknown option '-Z'");
  CHECK(errorOf({"-dZ"}) == "unknown option '-Z'");
  CHECK(errorOf({"-r"}) == "option '-r' needs an argument");
  CHECK(errorOf({"-ttt"}) == "option '-ttt' is not supported (use -t or -tt)");
}

TEST_CASE("options that do not go together") {
  CHECK(errorOf({"-w", "out.pcap", "ip"}) ==
        "option '-w' needs an input: a file given with '-r' or an interface given with '-i'");
  CHECK(errorOf({"-r", "in.pcap", "-i", "lo"}) == "options '-r' and '-i' cannot be used together");
  CHECK(errorOf({"-i", "lo", "-y", "RAW"}) == "option '-y' cannot be used with '-i': the link type comes from the interface");
  CHECK(errorOf({"-r", "in.pcap", "-y", "RAW"}) ==
        "option '-y' cannot be used with '-r': the link type comes from the file");
  CHECK(errorOf({"-d", "-r", "in.pcap", "-w", "out.pcap"}) == "options '-d' and '-w' cannot be used together");
}

TEST_CASE("-F with expression words warns and drops the words") {
  auto o = parse({"-F", "filter.txt", "udp"});
  REQUIRE(o);
  CHECK(o->filterFile == "filter.txt");
  CHECK(o->expressionWords.empty());
  REQUIRE(o->warnings.size() == 1);
  CHECK(o->warnings[0] == "expression on the command line ignored because of '-F'");
}

TEST_CASE("-t and -tt choose the time stamp style") {
  CHECK(parse({})->timestamps == TimestampStyle::TimeOfDay);
  CHECK(parse({"-t"})->timestamps == TimestampStyle::None);
  CHECK(parse({"-tt"})->timestamps == TimestampStyle::Epoch);
  CHECK(parse({"-t", "-t"})->timestamps == TimestampStyle::Epoch);
}

TEST_CASE("-i selects live capture; -p, -D and the long forms") {
  auto o = parse({"-i", "eth0", "-p", "-c", "5", "udp"});
  REQUIRE(o);
  CHECK(o->mode == Mode::Live);
  CHECK(o->interface == "eth0");
  CHECK_FALSE(o->promiscuous);
  CHECK(parse({"-i", "lo"})->promiscuous);
  CHECK(parse({"--interface=any", "--no-promiscuous-mode"})->interface == "any");
  CHECK(parse({"-D"})->mode == Mode::ListInterfaces);
  CHECK(parse({"--list-interfaces"})->mode == Mode::ListInterfaces);
  CHECK(parse({"-i", "lo", "-w", "out.pcap"})->writeFile == "out.pcap");
  CHECK_FALSE(parse({"-i", "lo"})->engineGiven);
  CHECK(parse({"-i", "lo", "--engine", "vm"})->engineGiven);
}

TEST_CASE("help wins over everything else") {
  CHECK(parse({"-w", "x", "--help"})->mode == Mode::Help);
}

TEST_CASE("-F comments are blanked to the end of the line") {
  CHECK(stripFilterComments("tcp # web\nand port 80\n") == "tcp      \nand port 80");
  CHECK(stripFilterComments("# all\n\n") == "     ");
  CHECK(stripFilterComments("udp") == "udp");
  CHECK(stripFilterComments("a#b#c\r\n") == "a     ");
}

TEST_CASE("optimizer options") {
  CHECK(parse({"--optimize=none", "ip"})->optimizeLevel == 0);
  CHECK(parse({"--optimize=size", "ip"})->optimizeLevel == 1);
  CHECK(parse({"--optimize", "speed", "ip"})->optimizeLevel == 2);
  CHECK(parse({"-O2", "--optimize=size"})->optimizeLevel == 1);  // the last one counts
  CHECK(errorOf({"--optimize=fast"}) == "unknown optimization goal 'fast' (use 'size', 'speed' or 'none')");
  auto o = parse({"--print-after=lower,merge-blocks", "--print-after", "thread-jumps", "ip"});
  REQUIRE(o);
  CHECK(o->printAfter == std::vector<std::string>{"lower", "merge-blocks", "thread-jumps"});
  CHECK(o->expressionWords == std::vector<std::string>{"ip"});
  CHECK(parse({"--print-after-all"})->printAfter == std::vector<std::string>{"all"});
  CHECK(errorOf({"--print-after=a,,b"}) == "option '--print-after' needs pass names, not 'a,,b'");
  CHECK(errorOf({"--print-after-all=x"}) == "option '--print-after-all' takes no argument");
  CHECK(parse({"--stats", "ip"})->stats);
  CHECK(parse({"--dot", "ip"})->dot);
  CHECK(parse({"--program", "p.txt"})->programFile == "p.txt");
  CHECK(errorOf({"--program", "p.txt", "ip"}) == "option '--program' takes no expression, but 'ip' was given");
  CHECK(errorOf({"-r", "f", "--stats", "ip"}) == "option '--stats' needs a listing (-d without -i) or 'sift bench'");
  CHECK(parse({"-r", "f", "-d", "--stats", "ip"})->stats);
  CHECK(errorOf({"-r", "f", "--dot", "ip"}) == "option '--dot' cannot be used with '-r' or '-i'");
}

TEST_CASE("sift bench") {
  auto o = parse({"bench", "-r", "f", "-y", "RAW", "tcp"});
  REQUIRE(o);
  CHECK(o->mode == Mode::Bench);
  CHECK(o->engine == Engine::All);
  CHECK(o->linktype == "RAW");  // unlike -r alone, -y chooses the link type
  CHECK(o->minTime == 0.5);
  CHECK(o->expressionWords == std::vector<std::string>{"tcp"});
  CHECK(parse({"bench", "-r", "f", "--engine", "libpcap", "--min-time", "2.5"})->engine == Engine::Libpcap);
  CHECK(parse({"bench", "-r", "f", "--min-time=0"})->minTime == 0.0);
  CHECK(errorOf({"bench", "tcp"}) == "'sift bench' needs a capture file: '-r FILE'");
  CHECK(errorOf({"bench", "-r", "f", "--min-time=-1"}) ==
        "invalid time '-1' (must be a number of seconds from 0 to 3600)");
  CHECK(errorOf({"bench", "-r", "f", "-c", "3"}) == "option '-c' cannot be used with 'sift bench'");
  // only the first word is the subcommand
  auto word = parse({"-d", "bench"});
  REQUIRE(word);
  CHECK(word->mode == Mode::Compile);
  CHECK(word->expressionWords == std::vector<std::string>{"bench"});
  CHECK(errorOf({"-r", "f", "--engine", "all"}) == "engine 'all' is only for 'sift bench'");
  CHECK(parse({"-r", "f", "--engine", "libpcap"})->engine == Engine::Libpcap);
}
