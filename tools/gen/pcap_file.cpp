// Classic pcap output for generated packets: little-endian, microsecond
// time stamps, one file header and a record per packet.
#include <fstream>
#include <string>

#include "byte_writer.h"
#include "packet_gen.h"

namespace sift::gen {

using namespace detail;

std::vector<uint8_t> pcapFileBytes(uint32_t linktype, uint32_t snaplen,
                                   const std::vector<GeneratedPacket>& packets) {
  Bytes b;
  putLe32(b, 0xa1b2c3d4);
  putLe16(b, 2);
  putLe16(b, 4);
  putLe32(b, 0);  // this zone
  putLe32(b, 0);  // sigfigs
  putLe32(b, snaplen);
  putLe32(b, linktype);
  for (const auto& p : packets) {
    putLe32(b, static_cast<uint32_t>(p.seconds));
    putLe32(b, p.microseconds);
    putLe32(b, static_cast<uint32_t>(p.data.size()));
    putLe32(b, p.wireLength);
    append(b, p.data);
  }
  return b;
}

bool writePcapFile(const std::string& path, uint32_t linktype, uint32_t snaplen,
                   const std::vector<GeneratedPacket>& packets, std::string* error) {
  Bytes bytes = pcapFileBytes(linktype, snaplen, packets);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (out) out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (out) out.close();
  if (!out) {
    if (error) *error = "cannot write '" + path + "'";
    return false;
  }
  return true;
}

}  // namespace sift::gen
