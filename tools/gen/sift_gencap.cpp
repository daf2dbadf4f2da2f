// sift-gencap: writes the packet generator's output as pcap files.
//
//   sift-gencap -y EN10MB [-c 3000] [--seed 1] -w out.pcap
//   sift-gencap --all DIR            one gen-<LINKTYPE>.pcap per link type
//   sift-gencap --sample -w out.pcap the small demonstration capture
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "packet_gen.h"

namespace {

constexpr uint32_t kSnaplen = 262144;

int usage(const char* why) {
  if (why) std::fprintf(stderr, "sift-gencap: %s\n", why);
  std::fprintf(stderr,
               "usage: sift-gencap -y LINKTYPE [-c COUNT] [--seed N] -w FILE\n"
               "       sift-gencap --all DIR [-c COUNT] [--seed N]\n"
               "       sift-gencap --sample -w FILE\n"
               "link types:");
  for (const auto& l : sift::gen::generatorLinktypes())
    std::fprintf(stderr, " %s", std::string(l.name).c_str());
  std::fprintf(stderr, "\n");
  return 64;
}

bool parseNumber(const char* text, uint64_t& out) {
  char* end = nullptr;
  out = std::strtoull(text, &end, 0);
  return end && *end == '\0' && end != text;
}

bool write(const std::string& path, uint32_t dlt, const std::vector<sift::gen::GeneratedPacket>& packets) {
  std::string error;
  if (!sift::gen::writePcapFile(path, dlt, kSnaplen, packets, &error)) {
    std::fprintf(stderr, "sift-gencap: %s\n", error.c_str());
    return false;
  }
  std::printf("%s: %zu packets, %s\n", path.c_str(), packets.size(), sift::gen::genLinktypeName(dlt).c_str());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::optional<uint32_t> linktype;
  std::string output, allDir;
  bool sample = false;
  uint64_t count = 3000, seed = 1;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    if (a == "-y") {
      const char* v = value();
      if (!v || !(linktype = sift::gen::parseGenLinktype(v))) return usage("-y needs a generated link type");
    } else if (a == "-c") {
      const char* v = value();
      if (!v || !parseNumber(v, count)) return usage("-c needs a number");
    } else if (a == "--seed") {
      const char* v = value();
      if (!v || !parseNumber(v, seed)) return usage("--seed needs a number");
    } else if (a == "-w") {
      const char* v = value();
      if (!v) return usage("-w needs a file name");
      output = v;
    } else if (a == "--all") {
      const char* v = value();
      if (!v) return usage("--all needs a directory");
      allDir = v;
    } else if (a == "--sample") {
      sample = true;
    } else if (a == "-h" || a == "--help") {
      return usage(nullptr);
    } else {
      return usage(("unknown argument '" + std::string(a) + "'").c_str());
    }
  }
  if (sample) {
    if (output.empty()) return usage("--sample needs -w FILE");
    return write(output, 1, sift::gen::samplePackets()) ? 0 : 74;
  }
  if (!allDir.empty()) {
    for (const auto& l : sift::gen::generatorLinktypes()) {
      auto packets = sift::gen::generatePackets({l.dlt, count, seed});
      if (!write(allDir + "/gen-" + std::string(l.name) + ".pcap", l.dlt, packets)) return 74;
    }
    return 0;
  }
  if (!linktype || output.empty()) return usage("need -y LINKTYPE and -w FILE");
  return write(output, *linktype, sift::gen::generatePackets({*linktype, count, seed})) ? 0 : 74;
}
