// TCP sockets for BGP whose options must be in place before the first SYN:
// TCP_MD5SIG (RFC 2385) and the TTL / hop limit (eBGP multihop). Node's net
// module cannot set them, so the socket is made here and handed to
// `new net.Socket({ fd })` / `net.Server.listen({ fd })`.
#include "tcp.h"

#include <netinet/tcp.h>
#include <unistd.h>

#include <cerrno>

namespace metallb {

namespace {

std::string Endpoint(const std::string& address, uint16_t port) {
  bool v6 = address.find(':') != std::string::npos;
  return (v6 ? "[" + address + "]" : address) + ":" + std::to_string(port);
}

// TTL for IPv4, unicast hop limit for IPv6. An IPv6 socket also gets IP_TTL:
// on a dual-stack listener an IPv4 peer arrives v4-mapped, and its packets
// leave with IP_TTL, not the hop limit (seen with tcpdump: TTL 64 otherwise).
bool SetTtl(Napi::Env env, int fd, int family, int ttl, const std::string& context) {
  if (family == AF_INET6 && !SetIntOption(env, fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, ttl,
                                          "setsockopt(IPV6_UNICAST_HOPS)", context)) {
    return false;
  }
  return SetIntOption(env, fd, IPPROTO_IP, IP_TTL, ttl, "setsockopt(IP_TTL)", context);
}

int SocketFamily(int fd) {
  sockaddr_storage own{};
  socklen_t length = sizeof(own);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&own), &length) != 0) return -1;
  return own.ss_family;
}

struct ConnectOptions {
  std::string remote;
  uint16_t port = 0;
  std::string local;
  bool has_local = false;
  std::string md5_key;
  bool has_md5 = false;
  int ttl = 0;  // 0: the kernel default
};

bool ParseConnectOptions(Napi::Env env, Napi::Object options, ConnectOptions* out) {
  bool has_remote = false;
  int64_t port = 0;
  if (!OptionalString(options, "remote", &out->remote, &has_remote)) return false;
  if (!has_remote) {
    Napi::TypeError::New(env, "remote must be a string").ThrowAsJavaScriptException();
    return false;
  }
  if (!IntegerIn(env, options.Get("port"), "port", 1, 65535, &port)) return false;
  out->port = static_cast<uint16_t>(port);
  if (!OptionalString(options, "local", &out->local, &out->has_local)) return false;
  if (!OptionalString(options, "md5Key", &out->md5_key, &out->has_md5)) return false;
  if (out->has_md5 && !CheckMd5Key(env, out->md5_key)) return false;
  Napi::Value ttl = options.Get("ttl");
  if (!ttl.IsUndefined()) {
    int64_t value = 0;
    if (!IntegerIn(env, ttl, "ttl", 1, 255, &value)) return false;
    out->ttl = static_cast<int>(value);
  }
  return true;
}

// Options, bind, connect. Returns false with a JS exception pending.
bool Prepare(Napi::Env env, int fd, const ConnectOptions& o, const sockaddr_storage& remote,
             socklen_t remote_length) {
  std::string context = Endpoint(o.remote, o.port);
  if (o.has_md5 && !o.md5_key.empty() && !SetMd5(env, fd, o.remote, o.md5_key)) return false;
  if (o.ttl > 0 && !SetTtl(env, fd, remote.ss_family, o.ttl, context)) return false;
  if (o.has_local) {
    sockaddr_storage local{};
    socklen_t local_length = 0;
    if (!ParseSockaddr(env, o.local, 0, &local, &local_length)) return false;
    if (bind(fd, reinterpret_cast<sockaddr*>(&local), local_length) != 0) {
      ErrnoError(env, "bind", errno, o.local).ThrowAsJavaScriptException();
      return false;
    }
  }
  int result = 0;
  do {
    result = connect(fd, reinterpret_cast<const sockaddr*>(&remote), remote_length);
  } while (result != 0 && errno == EINTR);
  if (result != 0 && errno != EINPROGRESS) {
    ErrnoError(env, "connect", errno, context).ThrowAsJavaScriptException();
    return false;
  }
  return true;
}

}  // namespace

Napi::Function TcpConnect::Init(Napi::Env env) {
  return DefineClass(env, "TcpConnect", {InstanceMethod<&TcpConnect::Cancel>("cancel")});
}

// new TcpConnect({ remote, port, local?, md5Key?, ttl? }, onDone(error, fd))
TcpConnect::TcpConnect(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TcpConnect>(info) {
  Napi::Env env = info.Env();
  Napi::Object options;
  ConnectOptions o;
  Napi::Function on_done;
  if (!ArgObject(info, 0, "options", &options) || !ParseConnectOptions(env, options, &o) ||
      !ArgFunction(info, 1, "onDone", &on_done)) {
    return;
  }
  sockaddr_storage remote{};
  socklen_t remote_length = 0;
  if (!ParseSockaddr(env, o.remote, o.port, &remote, &remote_length)) return;
  context_ = Endpoint(o.remote, o.port);
  int fd = socket(remote.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd < 0) {
    ErrnoError(env, "socket", errno, context_).ThrowAsJavaScriptException();
    return;
  }
  if (!Prepare(env, fd, o, remote, remote_length)) {
    close(fd);
    return;
  }
  handle_ = PollHandle::Start(env, fd, UV_WRITABLE, this, "connect " + context_);
  if (handle_ == nullptr) return;
  callback_ = Napi::Persistent(on_done);
  self_ = Napi::Persistent(info.This().As<Napi::Object>());
  async_ = std::make_unique<Napi::AsyncContext>(env, "metallb_link.TcpConnect");
}

TcpConnect::~TcpConnect() {
  if (handle_ != nullptr) handle_->Close();
}

void TcpConnect::Finish() {
  handle_ = nullptr;
  if (!callback_.IsEmpty()) callback_.Reset();
  if (!self_.IsEmpty()) self_.Reset();
}

// cancel(): closes the socket; onDone is not called.
Napi::Value TcpConnect::Cancel(const Napi::CallbackInfo& info) {
  if (handle_ != nullptr) handle_->Close();
  Finish();
  async_.reset();
  return info.Env().Undefined();
}

void TcpConnect::OnTeardown() { Finish(); }

void TcpConnect::OnPoll(int status, int /*events*/) {
  Napi::Env env = callback_.Env();
  Napi::HandleScope scope(env);
  // Writable means the handshake ended; SO_ERROR says how. libuv reports a
  // failed connect (POLLERR) as UV_EBADF, so SO_ERROR comes first there too.
  int err = handle_->PendingError(status < 0 ? -status : 0);
  Napi::Value error = env.Null();
  Napi::Value fd = env.Null();
  if (err == 0) {
    fd = Napi::Number::New(env, handle_->Release());  // from here the caller owns it
  } else {
    handle_->Close();
    error = ErrnoError(env, "connect", err, context_).Value();
  }
  Napi::Function callback = callback_.Value();
  Napi::Object self = self_.Value();
  std::unique_ptr<Napi::AsyncContext> async = std::move(async_);
  Finish();
  callback.MakeCallback(self, {error, fd}, *async);
  if (env.IsExceptionPending()) {
    Napi::Error thrown = env.GetAndClearPendingException();
    napi_fatal_exception(env, thrown.Value());
  }
}

static bool AddMd5Peers(Napi::Env env, int fd, Napi::Value peers) {
  if (peers.IsUndefined()) return true;
  if (!peers.IsArray()) {
    Napi::TypeError::New(env, "md5Peers must be an array of { address, key }")
        .ThrowAsJavaScriptException();
    return false;
  }
  Napi::Array array = peers.As<Napi::Array>();
  for (uint32_t i = 0; i < array.Length(); i++) {
    Napi::Value entry = array.Get(i);
    std::string address;
    std::string key;
    bool has_address = false;
    bool has_key = false;
    if (!entry.IsObject()) {
      Napi::TypeError::New(env, "md5Peers[i] must be { address, key }").ThrowAsJavaScriptException();
      return false;
    }
    Napi::Object peer = entry.As<Napi::Object>();
    if (!OptionalString(peer, "address", &address, &has_address) ||
        !OptionalString(peer, "key", &key, &has_key)) {
      return false;
    }
    if (!has_address || !has_key) {
      Napi::TypeError::New(env, "md5Peers[i] must be { address, key }").ThrowAsJavaScriptException();
      return false;
    }
    if (!SetMd5(env, fd, address, key)) return false;
  }
  return true;
}

static bool BindAndListen(Napi::Env env, int fd, const sockaddr_storage& address,
                          socklen_t length, int backlog, const std::string& context) {
  if (!SetIntOption(env, fd, SOL_SOCKET, SO_REUSEADDR, 1, "setsockopt(SO_REUSEADDR)", context)) {
    return false;
  }
  if (bind(fd, reinterpret_cast<const sockaddr*>(&address), length) != 0) {
    ErrnoError(env, "bind", errno, context).ThrowAsJavaScriptException();
    return false;
  }
  if (listen(fd, backlog) != 0) {
    ErrnoError(env, "listen", errno, context).ThrowAsJavaScriptException();
    return false;
  }
  return true;
}

// tcpListen({ address, port, backlog?, md5Peers?: [{ address, key }] }) → fd
Napi::Value TcpListen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object options;
  std::string text;
  bool has_address = false;
  int64_t port = 0;
  int64_t backlog = 511;
  if (!ArgObject(info, 0, "options", &options) ||
      !OptionalString(options, "address", &text, &has_address) ||
      !IntegerIn(env, options.Get("port"), "port", 0, 65535, &port)) {
    return env.Undefined();
  }
  if (!has_address) {
    Napi::TypeError::New(env, "address must be a string").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Value backlog_value = options.Get("backlog");
  if (!backlog_value.IsUndefined() &&
      !IntegerIn(env, backlog_value, "backlog", 1, 65535, &backlog)) {
    return env.Undefined();
  }
  sockaddr_storage address{};
  socklen_t length = 0;
  if (!ParseSockaddr(env, text, static_cast<uint16_t>(port), &address, &length)) {
    return env.Undefined();
  }
  std::string context = Endpoint(text, static_cast<uint16_t>(port));
  int fd = socket(address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd < 0) {
    ErrnoError(env, "socket", errno, context).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  // Keys go on before listen(): a peer's SYN that arrives first must already be checked.
  if (!AddMd5Peers(env, fd, options.Get("md5Peers")) ||
      !BindAndListen(env, fd, address, length, static_cast<int>(backlog), context)) {
    close(fd);
    return env.Undefined();
  }
  return Napi::Number::New(env, fd);
}

// setTcpMd5(fd, peerAddress, key); an empty key removes the peer's key.
Napi::Value SetTcpMd5(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = -1;
  std::string peer;
  std::string key;
  if (ArgFd(info, 0, &fd) && ArgString(info, 1, "peerAddress", &peer) &&
      ArgString(info, 2, "key", &key)) {
    SetMd5(env, fd, peer, key);
  }
  return env.Undefined();
}

// getSocketTtl(fd) → IP_TTL or IPV6_UNICAST_HOPS, whichever the socket's family has.
Napi::Value GetSocketTtl(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = -1;
  if (!ArgFd(info, 0, &fd)) return env.Undefined();
  int family = SocketFamily(fd);
  int value = 0;
  socklen_t length = sizeof(value);
  int result = family == AF_INET6
                   ? getsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &value, &length)
                   : getsockopt(fd, IPPROTO_IP, IP_TTL, &value, &length);
  if (family < 0 || result != 0) {
    ErrnoError(env, "getsockopt(TTL)", errno, "fd " + std::to_string(fd))
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Number::New(env, value);
}

// setSocketTtl(fd, ttl): for accepted sockets of an eBGP multihop peer.
Napi::Value SetSocketTtl(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = -1;
  int64_t ttl = 0;
  if (!ArgFd(info, 0, &fd) || !IntegerIn(env, info[1], "ttl", 1, 255, &ttl)) {
    return env.Undefined();
  }
  int family = SocketFamily(fd);
  if (family < 0) {
    ErrnoError(env, "getsockname", errno, "fd " + std::to_string(fd)).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  SetTtl(env, fd, family, static_cast<int>(ttl), "fd " + std::to_string(fd));
  return env.Undefined();
}

}  // namespace metallb
