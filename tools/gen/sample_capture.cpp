// The demonstration capture (corpus/sample.pcap): a fixed Ethernet
// conversation with HTTP on TCP port 80, DNS, ARP, ICMP, HTTPS and IPv6,
// built without randomness so the file never changes by accident.
#include <string>
#include <string_view>

#include "byte_writer.h"
#include "packet_gen.h"

namespace sift::gen {

using namespace detail;

namespace {

struct Endpoint {
  Mac mac;
  uint32_t ip;
  uint16_t port;
};

Bytes ethernetHeader(const Mac& dst, const Mac& src, uint16_t type) {
  Bytes b;
  append(b, dst);
  append(b, src);
  put16(b, type);
  return b;
}

Bytes ipv4Header(uint32_t src, uint32_t dst, uint8_t proto, size_t payload, uint16_t id) {
  Bytes b;
  put8(b, 0x45), put8(b, 0), put16(b, 20 + payload), put16(b, id), put16(b, 0x4000);
  put8(b, 64), put8(b, proto), put16(b, 0), put32(b, src), put32(b, dst);
  // The header checksum, so the capture looks right in other tools.
  uint32_t sum = 0;
  for (size_t i = 0; i < b.size(); i += 2) sum += (b[i] << 8) | b[i + 1];
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  uint16_t check = static_cast<uint16_t>(~sum);
  b[10] = static_cast<uint8_t>(check >> 8), b[11] = static_cast<uint8_t>(check);
  return b;
}

Bytes tcpSegment(const Endpoint& from, const Endpoint& to, uint32_t seq, uint32_t ack, uint8_t flags,
                 std::string_view text) {
  Bytes b;
  put16(b, from.port), put16(b, to.port), put32(b, seq), put32(b, ack);
  put8(b, 0x50), put8(b, flags), put16(b, 64240), put16(b, 0), put16(b, 0);
  b.insert(b.end(), text.begin(), text.end());
  return b;
}

class SampleBuilder {
 public:
  void add(Bytes frame) {
    GeneratedPacket p;
    p.data = std::move(frame);
    if (p.data.size() < 60) p.data.resize(60, 0);  // Ethernet minimum frame
    p.wireLength = static_cast<uint32_t>(p.data.size());
    p.seconds = 1700000000 + static_cast<int64_t>(tick_ / 20);
    p.microseconds = static_cast<uint32_t>((tick_ % 20) * 50000);
    ++tick_;
    packets.push_back(std::move(p));
  }
  void tcp(const Endpoint& from, const Endpoint& to, uint32_t seq, uint32_t ack, uint8_t flags,
           std::string_view text = {}) {
    Bytes seg = tcpSegment(from, to, seq, ack, flags, text);
    Bytes f = ethernetHeader(to.mac, from.mac, 0x0800);
    append(f, ipv4Header(from.ip, to.ip, 6, seg.size(), static_cast<uint16_t>(0x1000 + tick_)));
    append(f, seg);
    add(std::move(f));
  }
  void udp(const Endpoint& from, const Endpoint& to, size_t length) {
    Bytes d;
    put16(d, from.port), put16(d, to.port), put16(d, 8 + length), put16(d, 0);
    for (size_t i = 0; i < length; ++i) put8(d, static_cast<uint8_t>(i * 7 + 1));
    Bytes f = ethernetHeader(to.mac, from.mac, 0x0800);
    append(f, ipv4Header(from.ip, to.ip, 17, d.size(), static_cast<uint16_t>(0x2000 + tick_)));
    append(f, d);
    add(std::move(f));
  }
  std::vector<GeneratedPacket> packets;

 private:
  uint32_t tick_ = 0;
};

// One TCP connection: handshake, request, response in segments, close.
void httpExchange(SampleBuilder& s, const Endpoint& client, const Endpoint& server, int responseSegments) {
  uint32_t c = 0x1000, v = 0x8000;
  s.tcp(client, server, c, 0, 0x02);
  s.tcp(server, client, v, c + 1, 0x12);
  s.tcp(client, server, c + 1, v + 1, 0x10);
  std::string_view request = "GET /index.html HTTP/1.1\r\nHost: www.example.com\r\nAccept: */*\r\n\r\n";
  s.tcp(client, server, c + 1, v + 1, 0x18, request);
  c += 1 + static_cast<uint32_t>(request.size());
  s.tcp(server, client, v + 1, c, 0x10);
  std::string body = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 1200\r\n\r\n";
  body.append(400, 'x');
  uint32_t sent = v + 1;
  for (int i = 0; i < responseSegments; ++i) {
    s.tcp(server, client, sent, c, i + 1 == responseSegments ? 0x18 : 0x10, body);
    sent += static_cast<uint32_t>(body.size());
    if (i % 2 == 1) s.tcp(client, server, c, sent, 0x10);
  }
  s.tcp(client, server, c, sent, 0x11);
  s.tcp(server, client, sent, c + 1, 0x11);
  s.tcp(client, server, c + 1, sent + 1, 0x10);
}

}  // namespace

std::vector<GeneratedPacket> samplePackets() {
  SampleBuilder s;
  const Mac clientMac{0x00, 0x11, 0x22, 0x33, 0x44, 0x55};
  const Mac gatewayMac{0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
  const Mac broadcast{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  Endpoint client{clientMac, ipv4(192, 168, 1, 100), 49152};
  Endpoint web{gatewayMac, ipv4(10, 0, 0, 80), 80};
  Endpoint dns{gatewayMac, ipv4(192, 168, 1, 1), 53};
  Endpoint tls{gatewayMac, ipv4(10, 0, 0, 2), 443};

  // ARP for the gateway, then a DNS lookup.
  Bytes arp = ethernetHeader(broadcast, clientMac, 0x0806);
  put16(arp, 1), put16(arp, 0x0800), put8(arp, 6), put8(arp, 4), put16(arp, 1);
  append(arp, clientMac), put32(arp, client.ip), append(arp, Mac{}), put32(arp, dns.ip);
  s.add(arp);
  Bytes reply = ethernetHeader(clientMac, gatewayMac, 0x0806);
  put16(reply, 1), put16(reply, 0x0800), put8(reply, 6), put8(reply, 4), put16(reply, 2);
  append(reply, gatewayMac), put32(reply, dns.ip), append(reply, clientMac), put32(reply, client.ip);
  s.add(reply);
  Endpoint dnsClient = client;
  dnsClient.port = 53001;
  s.udp(dnsClient, dns, 33);
  s.udp(dns, dnsClient, 49);

  httpExchange(s, client, web, 8);

  // An ICMP echo and its reply.
  for (int i = 0; i < 2; ++i) {
    Bytes icmp;
    put8(icmp, i == 0 ? 8 : 0), put8(icmp, 0), put16(icmp, 0), put16(icmp, 0x1234), put16(icmp, 1);
    for (int j = 0; j < 32; ++j) put8(icmp, static_cast<uint8_t>(j));
    const Endpoint& from = i == 0 ? client : web;
    const Endpoint& to = i == 0 ? web : client;
    Bytes f = ethernetHeader(to.mac, from.mac, 0x0800);
    append(f, ipv4Header(from.ip, to.ip, 1, icmp.size(), static_cast<uint16_t>(0x3000 + i)));
    append(f, icmp);
    s.add(f);
  }

  // A short HTTPS exchange.
  Endpoint client2 = client;
  client2.port = 49153;
  s.tcp(client2, tls, 0x5000, 0, 0x02);
  s.tcp(tls, client2, 0x9000, 0x5001, 0x12);
  s.tcp(client2, tls, 0x5001, 0x9001, 0x10);
  s.tcp(client2, tls, 0x5001, 0x9001, 0x18, std::string(180, '\x16'));
  s.tcp(tls, client2, 0x9001, 0x5001 + 180, 0x18, std::string(700, '\x17'));

  // A second, shorter HTTP connection from another port.
  Endpoint client3 = client;
  client3.port = 49154;
  httpExchange(s, client3, web, 4);

  // An IPv6 TCP SYN to port 80 and its reset.
  for (int i = 0; i < 2; ++i) {
    Bytes seg;
    put16(seg, i == 0 ? 49155 : 80), put16(seg, i == 0 ? 80 : 49155), put32(seg, i == 0 ? 7 : 0);
    put32(seg, i == 0 ? 0 : 8), put8(seg, 0x50), put8(seg, i == 0 ? 0x02 : 0x14), put16(seg, 64800);
    put16(seg, 0), put16(seg, 0);
    Bytes f = ethernetHeader(i == 0 ? gatewayMac : clientMac, i == 0 ? clientMac : gatewayMac, 0x86dd);
    put32(f, 0x60000000), put16(f, seg.size()), put8(f, 6), put8(f, 64);
    Ip6 a = ipv6({0x2001, 0xdb8}, {0x100}), b = ipv6({0x2001, 0xdb8, 0, 1}, {0x80});
    append(f, i == 0 ? a : b);
    append(f, i == 0 ? b : a);
    append(f, seg);
    s.add(f);
  }
  return s.packets;
}

}  // namespace sift::gen
