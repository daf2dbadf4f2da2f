// The three listings `sift` prints for one program agree: the -ddd output
// parses back with bpf::parseDecimal, and the -d and -dd listings of that
// parsed program are exactly what sift printed for -d and -dd. Runs the
// built executable, so it checks the command line end to end.
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <cstdio>
#include <string>

#include "sift/bpf.h"

namespace {

/// Runs the sift executable with `args` (already shell-quoted) and returns
/// its standard output; `status` gets the exit status.
std::string runSift(const std::string& args, int& status) {
  std::string command = std::string("'") + SIFT_CLI_EXECUTABLE + "' " + args + " 2>/dev/null";
  std::FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string out;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  int raw = pclose(pipe);
  status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  return out;
}

}  // namespace

TEST_CASE("-d, -dd and -ddd print the same program") {
  const char* expressions[] = {
      "",
      "ip",
      "tcp port 80",
      "udp and dst port 53",
      "host 10.0.0.1 or net 192.168.0.0/16",
      "ip6 and tcp[13] & 2 != 0",
      "icmp[icmptype] = icmp-echo",
      "arp or rarp",
      "len > 100 and len < 1500",
      "not (tcp or udp)",
      "ether broadcast",
      "ip[2:2] - 20 > 40",
  };
  const char* linktypes[] = {"EN10MB", "RAW", "LINUX_SLL"};
  const char* optimizer[] = {"-O0", "-O1"};
  int checked = 0;
  for (const char* linktype : linktypes) {
    for (const char* level : optimizer) {
      for (const char* expression : expressions) {
        std::string args = std::string("-y ") + linktype + " " + level + " -s 1500 -- '" + expression + "'";
        CAPTURE(args);
        int status = 0;
        std::string decimal = runSift("-ddd " + args, status);
        if (status == 65) continue;  // not expressible on this link type
        REQUIRE(status == 0);
        auto program = sift::bpf::parseDecimal(decimal);
        REQUIRE_MESSAGE(program.ok(), (program.ok() ? "" : program.error().message));
        CHECK(sift::bpf::listing(*program, sift::bpf::ListingFormat::Decimal) == decimal);
        CHECK(runSift("-d " + args, status) == sift::bpf::listing(*program, sift::bpf::ListingFormat::Image));
        CHECK(status == 0);
        CHECK(runSift("-dd " + args, status) == sift::bpf::listing(*program, sift::bpf::ListingFormat::CArray));
        CHECK(status == 0);
        CHECK(sift::bpf::validate(*program, sift::bpf::Profile::Libpcap).ok());
        ++checked;
      }
    }
  }
  CHECK(checked > 50);
}
