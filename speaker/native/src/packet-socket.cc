// PacketSocket: AF_PACKET, SOCK_RAW, bound to one interface and EtherType
// 0x0806 (ARP). Reads whole Ethernet frames with their PACKET_AUXDATA VLAN
// TCI; writes whole frames out of the bound interface.
#include "packet-socket.h"

#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <unistd.h>

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

// The bound socket's fd, or -1 with errno set and `*syscall` naming the failed call.
int OpenBound(const std::string& ifname, int* ifindex, uint8_t* mac, const char** syscall) {
  // Protocol 0 until bind: the socket sees no frames from other interfaces in between.
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *syscall = "socket(AF_PACKET)";
    return -1;
  }
  const char* failed = Configure(fd, ifname, ifindex, mac);
  if (failed != nullptr) {
    int err = errno;
    close(fd);
    errno = err;
    *syscall = failed;
    return -1;
  }
  return fd;
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
  const char* syscall = "";
  int fd = OpenBound(ifname, &ifindex, mac, &syscall);
  if (fd < 0) {
    ErrnoError(env, syscall, errno, ifname).ThrowAsJavaScriptException();
    return;
  }
  Napi::Object self = info.This().As<Napi::Object>();
  if (!Begin(env, self, fd, on_frames, "PacketSocket(" + ifname + ")")) return;
  self.Set("ifname", Napi::String::New(env, ifname));
  self.Set("ifindex", Napi::Number::New(env, ifindex));
  self.Set("mac", Napi::String::New(env, FormatMac(mac)));
}

int PacketSocket::ReadBatch(Napi::Env env, Napi::Array frames) {
  uint8_t buffer[kFrameMax];
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(tpacket_auxdata))];
  for (int i = 0; i < kBatch; i++) {
    sockaddr_ll from{};
    iovec iov{buffer, sizeof(buffer)};
    msghdr msg{};
    msg.msg_name = &from;
    msg.msg_namelen = sizeof(from);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    ssize_t got = recvmsg(fd(), &msg, MSG_DONTWAIT);
    if (got < 0) {
      if (errno == EINTR) continue;
      return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : errno;
    }
    // Our own transmissions come back on a packet socket; they are not requests.
    if (from.sll_pkttype == PACKET_OUTGOING) continue;
    if ((msg.msg_flags & MSG_TRUNC) != 0) continue;
    Napi::Object frame = Napi::Object::New(env);
    frame.Set("frame", Napi::Buffer<uint8_t>::Copy(env, buffer, static_cast<size_t>(got)));
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
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
    frames.Set(frames.Length(), frame);
  }
  return 0;
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
  if (!open()) {
    CodeError(env, "ERR_LINK_CLOSED", name() + " is closed").ThrowAsJavaScriptException();
    return env.Undefined();
  }
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
