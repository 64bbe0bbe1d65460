// Icmp6Socket: a raw ICMPv6 socket bound to one interface (SO_BINDTODEVICE)
// that passes only the given ICMPv6 types (ICMP6_FILTER, RFC 3542 §3.2) and
// reads each message with its hop limit and destination (IPV6_RECVHOPLIMIT,
// IPV6_RECVPKTINFO, RFC 3542 §6) — RFC 4861 §7.1.1 needs the hop limit.
// Sends with hop limit 255 (RFC 4861 §7.1.2); the kernel fills the checksum.
#include "icmp6-socket.h"

#include <net/if.h>
#include <netinet/icmp6.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace metallb {

namespace {

// NS/NA are a few dozen bytes; longer messages (MSG_TRUNC) are skipped.
constexpr size_t kMessageMax = 4096;
#ifndef IPV6_FREEBIND
#define IPV6_FREEBIND 78  // Linux 4.15+, not in every libc's headers
#endif
constexpr int kNdpHopLimit = 255;
constexpr RawSocket kIcmp6Socket{"Icmp6Socket", AF_INET6, IPPROTO_ICMPV6,
                                 "socket(AF_INET6, SOCK_RAW)"};

const char* SetFilter(int fd, const std::vector<uint8_t>& types) {
  icmp6_filter filter{};
  ICMP6_FILTER_SETBLOCKALL(&filter);
  for (uint8_t type : types) ICMP6_FILTER_SETPASS(type, &filter);
  if (setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filter, sizeof(filter)) != 0) {
    return "setsockopt(ICMP6_FILTER)";
  }
  return nullptr;
}

const char* SetInt(int fd, int level, int option, int value, const char* name) {
  return setsockopt(fd, level, option, &value, sizeof(value)) != 0 ? name : nullptr;
}

// Binds `fd` to the interface and sets every option; returns the failed call or nullptr.
const char* Configure(int fd, const std::string& ifname, int ifindex,
                      const std::vector<uint8_t>& types) {
  // Block everything until the socket is bound to the interface, so nothing
  // from another interface is queued in between.
  const char* failed = SetFilter(fd, {});
  if (failed != nullptr) return failed;
  if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname.data(),
                 static_cast<socklen_t>(ifname.size())) != 0) {
    return "setsockopt(SO_BINDTODEVICE)";
  }
  const struct {
    int option;
    int value;
    const char* name;
  } options[] = {
      {IPV6_RECVHOPLIMIT, 1, "setsockopt(IPV6_RECVHOPLIMIT)"},
      {IPV6_RECVPKTINFO, 1, "setsockopt(IPV6_RECVPKTINFO)"},
      {IPV6_UNICAST_HOPS, kNdpHopLimit, "setsockopt(IPV6_UNICAST_HOPS)"},
      {IPV6_MULTICAST_HOPS, kNdpHopLimit, "setsockopt(IPV6_MULTICAST_HOPS)"},
      {IPV6_MULTICAST_IF, ifindex, "setsockopt(IPV6_MULTICAST_IF)"},
      // send(…, source) may name an address the host does not have (a VIP).
      {IPV6_FREEBIND, 1, "setsockopt(IPV6_FREEBIND)"},
  };
  for (const auto& o : options) {
    failed = SetInt(fd, IPPROTO_IPV6, o.option, o.value, o.name);
    if (failed != nullptr) return failed;
  }
  return SetFilter(fd, types);
}

bool ParseTypes(Napi::Env env, Napi::Value value, std::vector<uint8_t>* types) {
  if (!value.IsArray()) {
    Napi::TypeError::New(env, "types must be an array of ICMPv6 types (0-255)")
        .ThrowAsJavaScriptException();
    return false;
  }
  Napi::Array array = value.As<Napi::Array>();
  for (uint32_t i = 0; i < array.Length(); i++) {
    int64_t type = 0;
    if (!IntegerIn(env, array.Get(i), "types[i]", 0, 255, &type)) return false;
    types->push_back(static_cast<uint8_t>(type));
  }
  return true;
}

bool ParseIpv6Address(Napi::Env env, const std::string& text, in6_addr* out) {
  sockaddr_storage address{};
  socklen_t length = 0;
  if (!ParseSockaddr(env, text, 0, &address, &length)) return false;
  if (address.ss_family != AF_INET6) {
    Napi::TypeError::New(env, "not an IPv6 address: \"" + text + "\"")
        .ThrowAsJavaScriptException();
    return false;
  }
  *out = reinterpret_cast<sockaddr_in6*>(&address)->sin6_addr;
  return true;
}

}  // namespace

Napi::Function Icmp6Socket::Init(Napi::Env env) {
  return DefineClass(env, "Icmp6Socket",
                     {
                         InstanceMethod<&Icmp6Socket::Send>("send"),
                         InstanceMethod<&Icmp6Socket::JoinGroup>("joinGroup"),
                         InstanceMethod<&Icmp6Socket::LeaveGroup>("leaveGroup"),
                         InstanceMethod<&Icmp6Socket::CloseMethod>("close"),
                         InstanceAccessor<&Icmp6Socket::IsOpen>("isOpen"),
                     });
}

// new Icmp6Socket(ifname, types: number[], onMessages(error, messages))
Icmp6Socket::Icmp6Socket(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Icmp6Socket>(info) {
  Napi::Env env = info.Env();
  std::string ifname;
  std::vector<uint8_t> types;
  Napi::Function on_messages;
  if (!ArgString(info, 0, "ifname", &ifname) || !CheckIfname(env, ifname) ||
      !ParseTypes(env, info[1], &types) || !ArgFunction(info, 2, "onMessages", &on_messages)) {
    return;
  }
  ifindex_ = if_nametoindex(ifname.c_str());
  if (ifindex_ == 0) {
    ErrnoError(env, "if_nametoindex", errno, ifname).ThrowAsJavaScriptException();
    return;
  }
  Napi::Object self = info.This().As<Napi::Object>();
  auto configure = [&](int fd) { return Configure(fd, ifname, static_cast<int>(ifindex_), types); };
  if (!Open(self, kIcmp6Socket, ifname, on_messages, configure)) return;
  self.Set("ifindex", Napi::Number::New(env, ifindex_));
}

static Napi::Object MessageObject(Napi::Env env, const uint8_t* data, size_t length,
                                  const sockaddr_in6& from, msghdr* msg) {
  int hop_limit = -1;  // absent: the caller's hop-limit check drops it
  std::string destination;
  for (cmsghdr* c = CMSG_FIRSTHDR(msg); c != nullptr; c = CMSG_NXTHDR(msg, c)) {
    if (c->cmsg_level != IPPROTO_IPV6) continue;
    if (c->cmsg_type == IPV6_HOPLIMIT && c->cmsg_len >= CMSG_LEN(sizeof(int))) {
      std::memcpy(&hop_limit, CMSG_DATA(c), sizeof(int));
    } else if (c->cmsg_type == IPV6_PKTINFO && c->cmsg_len >= CMSG_LEN(sizeof(in6_pktinfo))) {
      in6_pktinfo pktinfo{};
      std::memcpy(&pktinfo, CMSG_DATA(c), sizeof(pktinfo));
      destination = FormatIpv6(pktinfo.ipi6_addr);
    }
  }
  Napi::Object message = Napi::Object::New(env);
  message.Set("body", Napi::Buffer<uint8_t>::Copy(env, data, length));
  message.Set("hopLimit", Napi::Number::New(env, hop_limit));
  message.Set("source", Napi::String::New(env, FormatIpv6(from.sin6_addr)));
  message.Set("destination", Napi::String::New(env, destination));
  return message;
}

int Icmp6Socket::ReadBatch(Napi::Env env, Napi::Array messages) {
  return ReceiveEach<sockaddr_in6, kMessageMax,
                     CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(in6_pktinfo))>(
      [&](const uint8_t* data, size_t length, const sockaddr_in6& from, msghdr* msg) {
        messages.Set(messages.Length(), MessageObject(env, data, length, from, msg));
      });
}

// sendto, with IPV6_PKTINFO naming the source address when there is one.
static ssize_t SendMessage(int fd, const uint8_t* data, size_t length, sockaddr_in6* to,
                           const in6_addr* source, unsigned int ifindex) {
  iovec iov{const_cast<uint8_t*>(data), length};
  msghdr msg{};
  msg.msg_name = to;
  msg.msg_namelen = sizeof(*to);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(in6_pktinfo))] = {0};
  if (source != nullptr) {
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = IPPROTO_IPV6;
    c->cmsg_type = IPV6_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(in6_pktinfo));
    in6_pktinfo pktinfo{};
    pktinfo.ipi6_addr = *source;
    pktinfo.ipi6_ifindex = ifindex;
    std::memcpy(CMSG_DATA(c), &pktinfo, sizeof(pktinfo));
  }
  ssize_t sent = 0;
  do {
    sent = sendmsg(fd, &msg, MSG_DONTWAIT);
  } while (sent < 0 && errno == EINTR);
  return sent;
}

// send(destination: string, body: Uint8Array, source?: string): one ICMPv6
// message (type byte first, checksum left to the kernel). Without `source`
// the kernel picks the source address (link-local toward link-local and
// multicast destinations).
Napi::Value Icmp6Socket::Send(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string destination;
  std::string source;
  const uint8_t* data = nullptr;
  size_t length = 0;
  if (!ArgString(info, 0, "destination", &destination) ||
      !ArgBytes(info, 1, "body", &data, &length)) {
    return env.Undefined();
  }
  bool has_source = info.Length() > 2 && !info[2].IsUndefined();
  if (has_source && !ArgString(info, 2, "source", &source)) return env.Undefined();
  // A zone ("%eth0") is dropped: the socket is bound to its interface anyway.
  sockaddr_in6 to{};
  in6_addr from{};
  if (!ParseIpv6Address(env, destination.substr(0, destination.find('%')), &to.sin6_addr) ||
      (has_source && !ParseIpv6Address(env, source, &from))) {
    return env.Undefined();
  }
  to.sin6_family = AF_INET6;
  to.sin6_scope_id = ifindex_;  // used for link-local and multicast, ignored otherwise
  if (length < 4 || length > kMessageMax) {
    Napi::RangeError::New(env, "ICMPv6 body must have 4 to " + std::to_string(kMessageMax) +
                                   " bytes, got " + std::to_string(length))
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (!CheckOpen(env)) return env.Undefined();
  if (SendMessage(fd(), data, length, &to, has_source ? &from : nullptr, ifindex_) < 0) {
    ErrnoError(env, "sendmsg", errno, name() + " to " + destination).ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

Napi::Value Icmp6Socket::Membership(const Napi::CallbackInfo& info, int option,
                                    const char* syscall) {
  Napi::Env env = info.Env();
  std::string group;
  if (!ArgString(info, 0, "group", &group)) return env.Undefined();
  ipv6_mreq request{};
  if (!ParseIpv6Address(env, group, &request.ipv6mr_multiaddr)) return env.Undefined();
  if (request.ipv6mr_multiaddr.s6_addr[0] != 0xff) {
    Napi::TypeError::New(env, "not an IPv6 multicast address: \"" + group + "\"")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (!CheckOpen(env)) return env.Undefined();
  request.ipv6mr_interface = ifindex_;
  if (setsockopt(fd(), IPPROTO_IPV6, option, &request, sizeof(request)) != 0) {
    ErrnoError(env, syscall, errno, name() + " group " + group).ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

Napi::Value Icmp6Socket::JoinGroup(const Napi::CallbackInfo& info) {
  return Membership(info, IPV6_JOIN_GROUP, "setsockopt(IPV6_JOIN_GROUP)");
}

Napi::Value Icmp6Socket::LeaveGroup(const Napi::CallbackInfo& info) {
  return Membership(info, IPV6_LEAVE_GROUP, "setsockopt(IPV6_LEAVE_GROUP)");
}

Napi::Value Icmp6Socket::CloseMethod(const Napi::CallbackInfo& info) {
  Stop();  // closing the fd leaves every group it joined
  return info.Env().Undefined();
}

Napi::Value Icmp6Socket::IsOpen(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), open());
}

}  // namespace metallb
