// Reader for the -d listing format (libpcap's bpf_image lines), the
// inverse of bpf::listing(p, ListingFormat::Image).
//
//   (000) ldh      [12]
//   (001) jeq      #0x800           jt 2	jf 5
//
// The "(NNN)" column is optional; when present it must count up from 0.
// Jump targets are absolute instruction numbers, as tcpdump prints them.
// Numbers may be decimal or 0x-hex, and negative (two's complement).
// Besides tcpdump 4.99.3's spellings it reads "ret a", "ret x" and
// "ldx #pktlen"; an "unimp 0xNN" line becomes that code with k = 0.
// Fields the text does not show read back as 0 (libpcap's optimizer can
// leave a stale k on "tax", for example), so listing(parseImage(t)) == t
// but the program may differ from the one that printed t in such fields.
#pragma once

#include <string_view>

#include "sift/bpf.h"

namespace sift::bpf {

/// Reads -d text back into a program; errors name the line and quote it.
Expected<Program> parseImage(std::string_view text);

}  // namespace sift::bpf
