// Differential tests against the installed libpcap: every capture listed in
// the shared MANIFEST.tsv, and every truncation of small hand-made files,
// must give the same packets (count, lengths, bytes, time stamps, link
// type) and fail where libpcap fails.
#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "capture_test_util.h"

#ifdef SIFT_HAVE_LIBPCAP
#include <pcap/pcap.h>
#endif

using namespace sift::capture;

namespace {

const std::string kPcapsDir = std::string(SIFT_SHARED_DIR) + "/pcaps";

struct ManifestEntry {
  std::string file;
  std::string format;
  uint64_t packets = 0;
};

// Reads MANIFEST.tsv; an empty result means the shared captures are absent.
std::vector<ManifestEntry> readManifest() {
  std::vector<ManifestEntry> entries;
  std::ifstream in(kPcapsDir + "/MANIFEST.tsv");
  std::string line;
  bool header = true;
  while (std::getline(in, line)) {
    if (header) {
      header = false;
      continue;
    }
    std::vector<std::string> cols;
    std::stringstream ss(line);
    for (std::string col; std::getline(ss, col, '\t');) cols.push_back(col);
    if (cols.size() < 4) continue;
    entries.push_back({cols[0], cols[1], std::stoull(cols[3])});
  }
  return entries;
}

#ifdef SIFT_HAVE_LIBPCAP
struct OraclePacket {
  uint64_t nanoseconds;
  uint32_t captureLength, wireLength;
  std::vector<uint8_t> data;
};

struct OracleRun {
  bool opened = false;
  int dlt = 0;
  int snaplen = 0;
  std::vector<OraclePacket> packets;
  std::string error;  // empty when libpcap read the whole file
};

// Time stamps are compared in nanoseconds since the epoch. pcap stores
// unsigned 32-bit seconds and fractions; libpcap reads both as signed, so
// its values are reinterpreted as unsigned here before comparing (sift
// carries a fraction of a second or more into the seconds).
// `fractionScale` is 1000 for microsecond pcap, 1 for nanosecond pcap and
// 0 for pcapng, whose time stamps libpcap computes in 64 bits.
// Arithmetic wraps (uint64_t) so that absurd values in damaged files compare
// without overflow.
uint64_t totalNanoseconds(int64_t seconds, int64_t fraction) {
  return uint64_t(seconds) * 1000000000u + uint64_t(fraction);
}

uint64_t oracleNanoseconds(const struct pcap_pkthdr* h, int fractionScale) {
  if (fractionScale == 0) return totalNanoseconds(h->ts.tv_sec, h->ts.tv_usec);
  int64_t seconds = int64_t(uint32_t(h->ts.tv_sec));
  int64_t fraction = int64_t(h->ts.tv_usec);
  if (fraction < 0) fraction = int64_t(uint32_t(int32_t(fraction / fractionScale))) * fractionScale;
  return totalNanoseconds(seconds, fraction);
}

int fractionScaleOf(const std::vector<uint8_t>& head) {
  if (head.size() < 4) return 0;
  uint32_t le = uint32_t(head[0]) | uint32_t(head[1]) << 8 | uint32_t(head[2]) << 16 | uint32_t(head[3]) << 24;
  uint32_t be = uint32_t(head[3]) | uint32_t(head[2]) << 8 | uint32_t(head[1]) << 16 | uint32_t(head[0]) << 24;
  if (le == 0xa1b23c4d || be == 0xa1b23c4d) return 1;
  if (le == 0x0a0d0d0a) return 0;
  return 1000;
}

OracleRun readWithLibpcap(pcap_t* p, const char* openError, int fractionScale) {
  OracleRun run;
  if (!p) {
    run.error = openError;
    return run;
  }
  run.opened = true;
  run.dlt = pcap_datalink(p);
  run.snaplen = pcap_snapshot(p);
  struct pcap_pkthdr* h;
  const u_char* data;
  int rc;
  while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
    run.packets.push_back({oracleNanoseconds(h, fractionScale), h->caplen, h->len,
                           std::vector<uint8_t>(data, data + h->caplen)});
  }
  if (rc == -1) run.error = pcap_geterr(p);
  pcap_close(p);
  return run;
}

OracleRun libpcapFile(const std::string& path) {
  std::vector<uint8_t> head(4);
  std::ifstream in(path, std::ios::binary);
  in.read(reinterpret_cast<char*>(head.data()), 4);
  head.resize(size_t(in.gcount()));
  char errbuf[PCAP_ERRBUF_SIZE] = "";
  pcap_t* p = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, errbuf);
  return readWithLibpcap(p, errbuf, fractionScaleOf(head));
}

OracleRun libpcapMemory(const std::vector<uint8_t>& bytes) {
  char errbuf[PCAP_ERRBUF_SIZE] = "";
  // fmemopen refuses a zero-length buffer; an empty tmpfile stands in.
  FILE* f = bytes.empty() ? std::tmpfile() : fmemopen(const_cast<uint8_t*>(bytes.data()), bytes.size(), "rb");
  if (!f) return OracleRun{false, 0, 0, {}, "cannot open buffer"};
  pcap_t* p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, errbuf);
  if (!p) std::fclose(f);
  return readWithLibpcap(p, errbuf, fractionScaleOf(bytes));
}

struct SiftRun {
  bool opened = false;
  uint32_t linktype = 0, snaplen = 0;
  test::Drained drained;
};

SiftRun siftRead(sift::Expected<std::unique_ptr<Reader>> r) {
  SiftRun run;
  if (!r) {
    run.drained.error = r.error().message;
    return run;
  }
  run.opened = true;
  run.linktype = (*r)->linktype();
  run.snaplen = (*r)->snaplen();
  run.drained = test::drain(**r);
  return run;
}

// Returns an empty string when sift and libpcap agree, else the first difference.
std::string compare(const SiftRun& s, const OracleRun& o) {
  const auto& d = s.drained;
  // libpcap 1.10 refuses pcapng interfaces whose link type or snapshot
  // length differ from the first interface's; sift reads on, so only the
  // packets before libpcap stopped are compared.
  bool libpcapLimit = o.error.find("different from the") != std::string::npos;
  if (libpcapLimit && d.headers.size() > o.packets.size()) {
    SiftRun prefix = s;
    prefix.drained.headers.resize(o.packets.size());
    prefix.drained.payloads.resize(o.packets.size());
    prefix.drained.error = "stopped";
    return compare(prefix, o);
  }
  if (o.opened && s.opened) {
    if (uint32_t(o.dlt) != s.linktype)
      return "link type " + std::to_string(s.linktype) + " vs libpcap " + std::to_string(o.dlt);
    if (uint32_t(o.snaplen) != s.snaplen)
      return "snaplen " + std::to_string(s.snaplen) + " vs libpcap " + std::to_string(o.snaplen);
  }
  if (d.headers.size() != o.packets.size()) {
    return "sift read " + std::to_string(d.headers.size()) + " packets (" +
           (d.error.empty() ? "clean end" : d.error) + "), libpcap " + std::to_string(o.packets.size()) + " (" +
           (o.error.empty() ? "clean end" : o.error) + ")";
  }
  for (size_t i = 0; i < d.headers.size(); ++i) {
    const auto& h = d.headers[i];
    const auto& p = o.packets[i];
    std::string at = "packet " + std::to_string(i + 1) + ": ";
    if (h.captureLength != p.captureLength) return at + "captured length differs";
    if (h.wireLength != p.wireLength) return at + "wire length differs";
    if (d.payloads[i] != p.data) return at + "bytes differ";
    if (totalNanoseconds(h.seconds, h.nanoseconds) != p.nanoseconds) return at + "time stamp differs";
    if (h.linktype != uint32_t(o.dlt)) return at + "link type differs";
  }
  if (d.error.empty() != o.error.empty() && !libpcapLimit) {
    return "sift: " + (d.error.empty() ? std::string("clean end") : d.error) +
           "; libpcap: " + (o.error.empty() ? std::string("clean end") : o.error);
  }
  return "";
}
#endif

}  // namespace

TEST_CASE("shared captures: sift reads every file the manifest lists") {
  auto entries = readManifest();
  if (entries.empty()) {
    MESSAGE("skipped: no shared captures at '" << kPcapsDir << "/MANIFEST.tsv'");
    return;
  }
  size_t agree = 0;
  uint64_t packets = 0;
  for (const auto& e : entries) {
    INFO("file: " << e.file);
    auto r = openFile(kPcapsDir + "/" + e.file);
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
    CHECK(((*r)->format() == FileFormat::PcapNg) == (e.format == "pcapng"));
    auto d = test::drain(**r);
    CHECK(d.error == "");
    CHECK(d.headers.size() == e.packets);
    if (d.error.empty() && d.headers.size() == e.packets) ++agree;
    packets += d.headers.size();
  }
  MESSAGE(agree << " of " << entries.size() << " shared captures read whole with the manifest's packet count ("
                << packets << " packets)");
  CHECK(agree == entries.size());
}

#ifdef SIFT_HAVE_LIBPCAP
TEST_CASE("shared captures: sift agrees with libpcap on every packet") {
  auto entries = readManifest();
  if (entries.empty()) {
    MESSAGE("skipped: no shared captures at '" << kPcapsDir << "/MANIFEST.tsv'");
    return;
  }
  size_t agree = 0, libpcapErrors = 0;
  for (const auto& e : entries) {
    std::string path = kPcapsDir + "/" + e.file;
    auto o = libpcapFile(path);
    auto s = siftRead(openFile(path));
    std::string difference = compare(s, o);
    INFO("file: " << e.file);
    CHECK(difference == "");
    if (difference.empty()) ++agree;
    if (!o.error.empty()) ++libpcapErrors;
  }
  MESSAGE(agree << " of " << entries.size() << " shared captures agree with libpcap (" << std::string(pcap_lib_version()) << ", "
                << libpcapErrors << " refused by libpcap)");
}

TEST_CASE("hand-made files: every truncation agrees with libpcap") {
  test::Bytes pcap;
  pcap.pcapHeader(0xa1b2c3d4, 200).pcapRecord(1, 2, 60, 60, 60).pcapRecord(3, 4, 1, 9, 1).pcapRecord(5, 6, 0, 0, 0);
  test::Bytes pcapBe(true);
  pcapBe.pcapHeader(0xa1b23c4d, 200).pcapRecord(1, 2, 6, 60, 6).pcapRecord(3, 4, 1, 9, 1);
  test::Bytes ng;
  ng.shb().idb(1, 100);
  ng.endBlock(ng.block(0x99).fill(6));
  ng.epb(0, 1234567, 10, 12, 10);
  ng.endBlock(ng.block(3).u32(4).fill(4));
  ng.endBlock(ng.block(2).u16(0).u16(0).u32(0).u32(1).u32(2).u32(2).fill(2));
  test::Bytes ngBe(true);
  ngBe.shb().idb(101, 0).epb(0, 5, 3, 3, 3).epb(0, 6, 0, 0, 0);

  size_t cases = 0;
  for (const auto* file : {&pcap, &pcapBe, &ng, &ngBe}) {
    for (size_t n = 0; n <= file->data.size(); ++n) {
      std::vector<uint8_t> prefix(file->data.begin(), file->data.begin() + n);
      auto o = libpcapMemory(prefix);
      auto s = siftRead(openMemory(prefix, "prefix"));
      INFO("file " << cases << ", " << n << " of " << file->data.size() << " bytes");
      CHECK(compare(s, o) == "");
    }
    ++cases;
  }
}

TEST_CASE("hand-made files: damaged bytes agree with libpcap") {
  // Overwrite each byte of small files with a few values; sift must fail
  // where libpcap fails and read the same packets otherwise.
  test::Bytes pcap;
  pcap.pcapHeader(0xa1b2c3d4, 64).pcapRecord(1, 2, 8, 60, 8).pcapRecord(3, 4, 1, 9, 1);
  test::Bytes pcapNs(true);
  pcapNs.pcapHeader(0xa1b23c4d, 0, 101, 2, 3).pcapRecord(1, 2, 8, 60, 8).pcapRecord(3, 4, 1, 9, 1);
  test::Bytes ng;
  ng.shb().idb(1, 100).epb(0, 1234567, 10, 12, 10).epb(0, 7, 1, 1, 1);
  test::Bytes ngOptions(true);
  ngOptions.shb();
  ngOptions.endBlock(ngOptions.block(1).u16(1).u16(0).u32(0).u16(9).u16(1).u8(9).pad4().u16(14).u16(8).u64(3).u32(0));
  ngOptions.endBlock(ngOptions.block(3).u32(3).fill(3));
  ngOptions.endBlock(ngOptions.block(2).u16(0).u16(0).u32(0).u32(1).u32(2).u32(2).fill(2));
  ngOptions.epb(0, 1234567, 2, 2, 2);
  size_t cases = 0, differ = 0, fileIndex = 0;
  for (const auto* file : {&pcap, &pcapNs, &ng, &ngOptions}) {
    ++fileIndex;
    CHECK(compare(siftRead(openMemory(file->data, "undamaged")), libpcapMemory(file->data)) == "");
    for (size_t i = 0; i < file->data.size(); ++i) {
      for (int value = 0; value < 256; ++value) {
        uint8_t v = uint8_t(value);
        std::vector<uint8_t> bytes = file->data;
        if (bytes[i] == v) continue;
        bytes[i] = v;
        auto o = libpcapMemory(bytes);
        auto s = siftRead(openMemory(bytes, "damaged"));
        std::string difference = compare(s, o);
        INFO("file " << fileIndex << ": byte " << i << " set to " << int(v));
        CHECK(difference == "");
        ++cases;
        if (!difference.empty()) ++differ;
      }
    }
  }
  MESSAGE((cases - differ) << " of " << cases << " damaged files agree with libpcap");
}
TEST_CASE("hand-made files: link types and default snapshot lengths agree with libpcap") {
  // Every LINKTYPE up to 1100 (and a few with FCS bits), with snaplen 0 so
  // the per-link-type maximum shows, in pcap and in pcapng.
  std::vector<uint32_t> linktypes;
  for (uint32_t l = 0; l <= 1100; ++l) linktypes.push_back(l);
  for (uint32_t l : {0x14000001u, 0x04000069u, 0xf40000e4u}) linktypes.push_back(l);
  size_t differ = 0;
  for (uint32_t l : linktypes) {
    test::Bytes pcap;
    pcap.pcapHeader(0xa1b2c3d4, 0, l).pcapRecord(1, 2, 3, 3, 3);
    std::string a = compare(siftRead(openMemory(pcap.data)), libpcapMemory(pcap.data));
    std::string b;
    if (l <= 0xffff) {
      test::Bytes ng;
      ng.shb().idb(uint16_t(l), 0).epb(0, 1, 3, 3, 3);
      b = compare(siftRead(openMemory(ng.data)), libpcapMemory(ng.data));
    }
    INFO("link type " << l);
    CHECK(a == "");
    CHECK(b == "");
    if (!a.empty() || !b.empty()) ++differ;
  }
  CHECK(differ == 0);
}

TEST_CASE("shared captures: randomly damaged copies agree with libpcap") {
  auto entries = readManifest();
  if (entries.empty()) {
    MESSAGE("skipped: no shared captures at '" << kPcapsDir << "/MANIFEST.tsv'");
    return;
  }
  // A few files of each format; damage lands mostly in the first blocks.
  std::vector<std::string> chosen;
  size_t pcapng = 0, pcap = 0;
  for (const auto& e : entries) {
    bool ng = e.format == "pcapng";
    if (ng ? pcapng++ < 6 : (e.format == "pcap-be" || pcap++ < 4)) chosen.push_back(e.file);
  }
  uint64_t state = 0x9e3779b97f4a7c15ull;
  auto random = [&state](uint64_t bound) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return (state >> 33) % bound;
  };
  size_t cases = 0, differ = 0;
  for (const auto& name : chosen) {
    std::ifstream in(kPcapsDir + "/" + name, std::ios::binary);
    std::vector<uint8_t> original((std::istreambuf_iterator<char>(in)), {});
    if (original.size() < 64) continue;
    for (int iteration = 0; iteration < 400; ++iteration) {
      std::vector<uint8_t> bytes = original;
      uint64_t window = bytes.size() < 600 ? bytes.size() : 600;
      for (uint64_t k = 1 + random(3); k > 0; --k) bytes[random(window)] = uint8_t(random(256));
      if (random(4) == 0) bytes.resize(random(bytes.size()));
      std::string difference = compare(siftRead(openMemory(bytes, "damaged")), libpcapMemory(bytes));
      INFO(name << ", iteration " << iteration);
      CHECK(difference == "");
      ++cases;
      if (!difference.empty()) ++differ;
    }
  }
  MESSAGE((cases - differ) << " of " << cases << " randomly damaged copies of " << chosen.size()
                           << " shared captures agree with libpcap");
}

TEST_CASE("shared captures: every file cut short is read as far as libpcap reads it, then refused at an offset") {
  auto entries = readManifest();
  if (entries.empty()) {
    MESSAGE("skipped: no shared captures at '" << kPcapsDir << "/MANIFEST.tsv'");
    return;
  }
  // Each file cut one byte short (inside the last packet or block), at
  // half its size, and inside its first record or block after the file
  // header: sift must deliver exactly libpcap's packets, fail where
  // libpcap fails, and say at which byte offset the damage is.
  size_t cases = 0, differ = 0, refusals = 0;
  for (const auto& e : entries) {
    std::ifstream in(kPcapsDir + "/" + e.file, std::ios::binary);
    std::vector<uint8_t> original((std::istreambuf_iterator<char>(in)), {});
    bool ng = e.format == "pcapng";
    std::vector<size_t> cuts = {original.size() - 1, original.size() / 2, ng ? size_t(40) : size_t(30)};
    for (size_t cut : cuts) {
      if (cut >= original.size()) continue;
      std::vector<uint8_t> bytes(original.begin(), original.begin() + std::ptrdiff_t(cut));
      auto o = libpcapMemory(bytes);
      auto s = siftRead(openMemory(bytes, "cut"));
      std::string difference = compare(s, o);
      INFO(e.file << " cut to " << cut << " of " << original.size() << " bytes");
      CHECK(difference == "");
      ++cases;
      if (!difference.empty()) ++differ;
      if (!o.error.empty() || !o.opened) {
        ++refusals;
        // Where: a byte offset, or the file header for files cut inside it.
        const std::string& why = s.drained.error;
        CHECK_MESSAGE((why.find("at offset ") != std::string::npos || why.find("file header") != std::string::npos),
                      why);
      }
    }
  }
  MESSAGE((cases - differ) << " of " << cases << " cut-short copies of " << entries.size()
                           << " shared captures agree with libpcap (" << refusals << " refused by both)");
  CHECK(refusals > 0);
}
#else
TEST_CASE("libpcap agreement") { MESSAGE("skipped: built without libpcap"); }
#endif
