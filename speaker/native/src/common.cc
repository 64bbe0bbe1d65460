#include "common.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace metallb {

Napi::Error ErrnoError(Napi::Env env, const char* syscall, int err, const std::string& context) {
  const char* name = strerrorname_np(err);
  std::string code = name != nullptr ? name : "E" + std::to_string(err);
  std::string message = std::string(syscall) + (context.empty() ? "" : " " + context) + ": " +
                        strerror(err) + " (" + code + ")";
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, code));
  error.Set("errno", Napi::Number::New(env, err));
  error.Set("syscall", Napi::String::New(env, syscall));
  return error;
}

Napi::Error CodeError(Napi::Env env, const char* code, const std::string& message) {
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, code));
  return error;
}

static bool ThrowType(Napi::Env env, const std::string& message) {
  Napi::TypeError::New(env, message).ThrowAsJavaScriptException();
  return false;
}

bool ArgString(const Napi::CallbackInfo& info, size_t i, const char* what, std::string* out) {
  if (info.Length() <= i || !info[i].IsString()) {
    return ThrowType(info.Env(), std::string(what) + " must be a string");
  }
  *out = info[i].As<Napi::String>().Utf8Value();
  return true;
}

bool ArgFunction(const Napi::CallbackInfo& info, size_t i, const char* what, Napi::Function* out) {
  if (info.Length() <= i || !info[i].IsFunction()) {
    return ThrowType(info.Env(), std::string(what) + " must be a function");
  }
  *out = info[i].As<Napi::Function>();
  return true;
}

bool ArgObject(const Napi::CallbackInfo& info, size_t i, const char* what, Napi::Object* out) {
  if (info.Length() <= i || !info[i].IsObject()) {
    return ThrowType(info.Env(), std::string(what) + " must be an object");
  }
  *out = info[i].As<Napi::Object>();
  return true;
}

bool ArgFd(const Napi::CallbackInfo& info, size_t i, int* out) {
  int64_t fd = 0;
  if (!IntegerIn(info.Env(), info.Length() > i ? info[i] : info.Env().Undefined(), "fd", 0,
                 INT32_MAX, &fd)) {
    return false;
  }
  *out = static_cast<int>(fd);
  return true;
}

bool ArgBytes(const Napi::CallbackInfo& info, size_t i, const char* what, const uint8_t** data,
              size_t* length) {
  if (info.Length() <= i || !info[i].IsTypedArray() ||
      info[i].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    return ThrowType(info.Env(), std::string(what) + " must be a Uint8Array");
  }
  Napi::Uint8Array bytes = info[i].As<Napi::Uint8Array>();
  *data = bytes.Data();
  *length = bytes.ByteLength();
  return true;
}

bool IntegerIn(Napi::Env env, Napi::Value value, const char* what, int64_t min, int64_t max,
               int64_t* out) {
  std::string range = " must be an integer in [" + std::to_string(min) + ", " +
                      std::to_string(max) + "]";
  if (!value.IsNumber()) return ThrowType(env, std::string(what) + range);
  double number = value.As<Napi::Number>().DoubleValue();
  if (!(number >= static_cast<double>(min) && number <= static_cast<double>(max)) ||
      number != static_cast<double>(static_cast<int64_t>(number))) {
    return ThrowType(env, std::string(what) + range);
  }
  *out = static_cast<int64_t>(number);
  return true;
}

bool OptionalString(Napi::Object obj, const char* key, std::string* out, bool* present) {
  Napi::Value value = obj.Get(key);
  if (obj.Env().IsExceptionPending()) return false;
  *present = !value.IsUndefined();
  if (!*present) return true;
  if (!value.IsString()) return ThrowType(obj.Env(), std::string(key) + " must be a string");
  *out = value.As<Napi::String>().Utf8Value();
  return true;
}

bool CheckIfname(Napi::Env env, const std::string& ifname) {
  if (ifname.empty() || ifname.size() >= IFNAMSIZ || ifname.find('\0') != std::string::npos ||
      ifname.find('/') != std::string::npos) {
    return ThrowType(env, "interface name must have 1 to " + std::to_string(IFNAMSIZ - 1) +
                              " bytes, no NUL or '/': \"" + ifname + "\"");
  }
  return true;
}

bool CheckMd5Key(Napi::Env env, const std::string& key) {
  if (key.size() > TCP_MD5SIG_MAXKEYLEN) {
    return ThrowType(env, "MD5 key must have at most " + std::to_string(TCP_MD5SIG_MAXKEYLEN) +
                              " bytes, got " + std::to_string(key.size()));
  }
  return true;
}

static bool ParseIpv6(Napi::Env env, const std::string& text, uint16_t port, sockaddr_in6* out) {
  std::string address = text;
  uint32_t scope = 0;
  size_t percent = text.find('%');
  if (percent != std::string::npos) {
    address = text.substr(0, percent);
    std::string zone = text.substr(percent + 1);
    scope = zone.size() < IFNAMSIZ ? if_nametoindex(zone.c_str()) : 0;
    if (scope == 0) return ThrowType(env, "unknown interface in zone of \"" + text + "\"");
  }
  if (inet_pton(AF_INET6, address.c_str(), &out->sin6_addr) != 1) {
    return ThrowType(env, "not an IP address: \"" + text + "\"");
  }
  out->sin6_family = AF_INET6;
  out->sin6_port = htons(port);
  out->sin6_scope_id = scope;
  return true;
}

bool ParseSockaddr(Napi::Env env, const std::string& text, uint16_t port, sockaddr_storage* out,
                   socklen_t* length) {
  std::memset(out, 0, sizeof(*out));
  auto* v4 = reinterpret_cast<sockaddr_in*>(out);
  if (inet_pton(AF_INET, text.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    *length = sizeof(sockaddr_in);
    return true;
  }
  if (!ParseIpv6(env, text, port, reinterpret_cast<sockaddr_in6*>(out))) return false;
  *length = sizeof(sockaddr_in6);
  return true;
}

std::string FormatIpv6(const in6_addr& address) {
  char text[INET6_ADDRSTRLEN] = {0};
  if (inet_ntop(AF_INET6, &address, text, sizeof(text)) == nullptr) return "";
  return text;
}

std::string FormatMac(const uint8_t* bytes) {
  char text[18] = {0};
  std::snprintf(text, sizeof(text), "%02x:%02x:%02x:%02x:%02x:%02x", bytes[0], bytes[1], bytes[2],
                bytes[3], bytes[4], bytes[5]);
  return text;
}

bool SetIntOption(Napi::Env env, int fd, int level, int option, int value, const char* what,
                  const std::string& context) {
  if (setsockopt(fd, level, option, &value, sizeof(value)) != 0) {
    ErrnoError(env, what, errno, context).ThrowAsJavaScriptException();
    return false;
  }
  return true;
}

// The peer as the socket's family wants it in tcpm_addr.
static bool Md5PeerAddress(Napi::Env env, int fd, const std::string& peer, sockaddr_storage* out) {
  socklen_t length = 0;
  if (!ParseSockaddr(env, peer, 0, out, &length)) return false;
  sockaddr_storage own{};
  socklen_t own_length = sizeof(own);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&own), &own_length) != 0) {
    ErrnoError(env, "getsockname", errno, "fd " + std::to_string(fd)).ThrowAsJavaScriptException();
    return false;
  }
  if (own.ss_family == AF_INET6 && out->ss_family == AF_INET) {
    in_addr v4 = reinterpret_cast<sockaddr_in*>(out)->sin_addr;
    auto* v6 = reinterpret_cast<sockaddr_in6*>(out);
    std::memset(out, 0, sizeof(*out));
    v6->sin6_family = AF_INET6;
    v6->sin6_addr.s6_addr[10] = 0xff;
    v6->sin6_addr.s6_addr[11] = 0xff;
    std::memcpy(&v6->sin6_addr.s6_addr[12], &v4, sizeof(v4));
  } else if (own.ss_family == AF_INET && out->ss_family == AF_INET6) {
    return ThrowType(env, "IPv6 MD5 peer " + peer + " on an IPv4 socket");
  }
  return true;
}

bool SetMd5(Napi::Env env, int fd, const std::string& peer, const std::string& key) {
  if (!CheckMd5Key(env, key)) return false;
  tcp_md5sig md5{};
  if (!Md5PeerAddress(env, fd, peer, &md5.tcpm_addr)) return false;
  md5.tcpm_keylen = static_cast<uint16_t>(key.size());
  std::memcpy(md5.tcpm_key, key.data(), key.size());
  if (setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, &md5, sizeof(md5)) != 0) {
    int err = errno;
    if (key.empty() && err == ENOENT) return true;  // removing a key that is not there
    ErrnoError(env, "setsockopt(TCP_MD5SIG)", err, "peer " + peer).ThrowAsJavaScriptException();
    return false;
  }
  return true;
}

// ---- PollHandle ----

PollHandle* PollHandle::Start(Napi::Env env, int fd, int events, PollOwner* owner,
                              const std::string& context) {
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) {
    close(fd);
    CodeError(env, "ERR_LINK_LOOP", "no event loop for " + context).ThrowAsJavaScriptException();
    return nullptr;
  }
  auto* handle = new PollHandle();
  handle->fd_ = fd;
  handle->owner_ = owner;
  handle->poll_.data = handle;
  int err = uv_poll_init_socket(loop, &handle->poll_, fd);
  if (err == 0) err = uv_poll_start(&handle->poll_, events, OnEvent);
  if (err != 0) {
    // Once uv_poll_init succeeded (type set) the handle must go through uv_close.
    ErrnoError(env, "uv_poll_start", -err, context).ThrowAsJavaScriptException();
    handle->owner_ = nullptr;
    if (handle->poll_.type == UV_POLL) {
      handle->closing_ = true;
      uv_close(reinterpret_cast<uv_handle_t*>(&handle->poll_), OnClosed);
    } else {
      close(fd);
      delete handle;
    }
    return nullptr;
  }
  napi_add_async_cleanup_hook(env, OnEnvTeardown, handle, &handle->hook_);
  return handle;
}

void PollHandle::Close() {
  if (closing_) return;
  closing_ = true;
  owner_ = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&poll_), OnClosed);
}

int PollHandle::Restart(int events) {
  if (closing_) return 0;
  return uv_poll_start(&poll_, events, OnEvent);
}

int PollHandle::PendingError(int fallback) const {
  int err = 0;
  socklen_t length = sizeof(err);
  if (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &length) != 0) return errno;
  return err != 0 ? err : fallback;
}

int PollHandle::Release() {
  int fd = fd_;
  fd_ = -1;
  // uv_close stops the poll synchronously (epoll_ctl DEL), so the fd can be
  // handed to another watcher (a net.Socket) right after this returns.
  Close();
  return fd;
}

void PollHandle::OnEvent(uv_poll_t* poll, int status, int events) {
  auto* handle = static_cast<PollHandle*>(poll->data);
  if (handle->owner_ != nullptr) handle->owner_->OnPoll(status, events);
}

void PollHandle::OnClosed(uv_handle_t* raw) {
  auto* handle = static_cast<PollHandle*>(raw->data);
  if (handle->fd_ >= 0) close(handle->fd_);
  if (handle->hook_ != nullptr) napi_remove_async_cleanup_hook(handle->hook_);
  delete handle;
}

void PollHandle::OnEnvTeardown(napi_async_cleanup_hook_handle /*hook*/, void* data) {
  auto* handle = static_cast<PollHandle*>(data);
  if (handle->closing_) return;  // OnClosed is on its way and removes the hook
  PollOwner* owner = handle->owner_;
  handle->owner_ = nullptr;
  if (owner != nullptr) owner->OnTeardown();
  handle->Close();
}

}  // namespace metallb
