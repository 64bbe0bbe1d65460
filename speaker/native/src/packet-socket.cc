// PacketSocket: AF_PACKET, SOCK_RAW, bound to one interface and EtherType
// 0x0806 (ARP). Reads whole Ethernet frames with their PACKET_AUXDATA VLAN
// TCI; writes whole frames out of the bound interface.
#include "packet-socket.h"

#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sys/ioctl.h>

#include <cerrno>
#include <cstring>

namespace metallb {

namespace {

// An ARP frame is 42 bytes (60 padded); anything up to a full
// Ethernet frame is read, longer ones arrive with MSG_TRUNC and are skipped.
constexpr size_t kFrameMax = ETH_FRAME_LEN;

// Looks the interface up and binds `fd` to it; returns the failed call or nullptr.
const char* Configure(int fd, const std::string& ifname, int* ifindex, uint8_t* mac) {
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, ifname.data(), ifname.size());
  if (ioctl(fd, SIOCGIFINDEX, &ifr) != 0) return "ioctl(SIOCGIFINDEX)";
  *ifindex = ifr.ifr_ifindex;
  if (ioctl(fd, SIOCGIFHWADDR, &ifr) != 0) return "ioctl(SIOCGIFHWADDR)";
  std::memcpy(mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
  int one = 1;
  if (setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one)) != 0) {
    return "setsockopt(PACKET_AUXDATA)";
  }
  sockaddr_ll address{};
  address.sll_family = AF_PACKET;
  address.sll_protocol = htons(ETH_P_ARP);
  address.sll_ifindex = *ifindex;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    return "bind(AF_PACKET)";
  }
  return nullptr;
}

// Protocol 0 until bind: the socket sees no frames from other interfaces in between.
constexpr RawSocket kPacketSocket{"PacketSocket", AF_PACKET, 0, "socket(AF_PACKET)"};

// { frame, vlanTci? }: the VLAN TCI when PACKET_AUXDATA says the kernel stripped a tag.
Napi::Object FrameObject(Napi::Env env, const uint8_t* data, size_t length, msghdr* msg) {
  Napi::Object frame = Napi::Object::New(env);
  frame.Set("frame", Napi::Buffer<uint8_t>::Copy(env, data, length));
  for (cmsghdr* c = CMSG_FIRSTHDR(msg); c != nullptr; c = CMSG_NXTHDR(msg, c)) {
    if (c->cmsg_level != SOL_PACKET || c->cmsg_type != PACKET_AUXDATA ||
        c->cmsg_len < CMSG_LEN(sizeof(tpacket_auxdata))) {
      continue;
    }
    tpacket_auxdata aux{};
    std::memcpy(&aux, CMSG_DATA(c), sizeof(aux));
    if ((aux.tp_status & TP_STATUS_VLAN_VALID) != 0) {
      frame.Set("vlanTci", Napi::Number::New(env, aux.tp_vlan_tci));
    }
  }
  return frame;
}

}  // namespace

Napi::Function PacketSocket::Init(Napi::Env env) {
  return DefineClass(env, "PacketSocket",
                     {
                         InstanceMethod<&PacketSocket::Send>("send"),
                         InstanceMethod<&PacketSocket::CloseMethod>("close"),
                         InstanceAccessor<&PacketSocket::IsOpen>("isOpen"),
                     });
}

// new PacketSocket(ifname, onFrames(error, frames))
PacketSocket::PacketSocket(const Napi::CallbackInfo& info) : Napi::ObjectWrap<PacketSocket>(info) {
  Napi::Env env = info.Env();
  std::string ifname;
  Napi::Function on_frames;
  if (!ArgString(info, 0, "ifname", &ifname) || !CheckIfname(env, ifname) ||
      !ArgFunction(info, 1, "onFrames", &on_frames)) {
    return;
  }
  int ifindex = 0;
  uint8_t mac[ETH_ALEN] = {0};
  Napi::Object self = info.This().As<Napi::Object>();
  auto configure = [&](int fd) { return Configure(fd, ifname, &ifindex, mac); };
  if (!Open(self, kPacketSocket, ifname, on_frames, configure)) return;
  self.Set("ifindex", Napi::Number::New(env, ifindex));
  self.Set("mac", Napi::String::New(env, FormatMac(mac)));
}

int PacketSocket::ReadBatch(Napi::Env env, Napi::Array frames) {
  return ReceiveEach<sockaddr_ll, kFrameMax, CMSG_SPACE(sizeof(tpacket_auxdata))>(
      [&](const uint8_t* data, size_t length, const sockaddr_ll& from, msghdr* msg) {
        // Our own transmissions come back on a packet socket; they are not requests.
        if (from.sll_pkttype == PACKET_OUTGOING) return;
        frames.Set(frames.Length(), FrameObject(env, data, length, msg));
      });
}

// send(frame: Uint8Array): the whole Ethernet frame, header included.
Napi::Value PacketSocket::Send(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const uint8_t* data = nullptr;
  size_t length = 0;
  if (!ArgBytes(info, 0, "frame", &data, &length)) return env.Undefined();
  if (length < ETH_HLEN || length > kFrameMax) {
    Napi::RangeError::New(env, "frame must have " + std::to_string(ETH_HLEN) + " to " +
                                   std::to_string(kFrameMax) + " bytes, got " +
                                   std::to_string(length))
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (!CheckOpen(env)) return env.Undefined();
  ssize_t sent = 0;
  do {
    sent = send(fd(), data, length, MSG_DONTWAIT);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) {
    ErrnoError(env, "send", errno, name()).ThrowAsJavaScriptException();
  } else if (static_cast<size_t>(sent) != length) {
    CodeError(env, "ERR_LINK_SHORT_SEND", name() + " sent " + std::to_string(sent) + " of " +
                                              std::to_string(length) + " bytes")
        .ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

Napi::Value PacketSocket::CloseMethod(const Napi::CallbackInfo& info) {
  Stop();
  return info.Env().Undefined();
}

Napi::Value PacketSocket::IsOpen(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), open());
}

}  // namespace metallb
