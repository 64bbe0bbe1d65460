// Shared helpers of the metallb_link addon: argument checks that throw JS
// TypeErrors, errno errors, address parsing, and PollHandle (an fd watched by
// uv_poll on Node's loop). Built without C++ exceptions
// (NODE_ADDON_API_DISABLE_CPP_EXCEPTIONS): every helper that fails has
// already thrown the JS exception and returns false; the caller returns.
#pragma once

#include <napi.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace metallb {

// A JS Error "<syscall> <context>: <strerror> (<ECODE>)" with properties
// code ("EPERM"), errno (number) and syscall.
Napi::Error ErrnoError(Napi::Env env, const char* syscall, int err, const std::string& context);
// An Error with only a code, for states rather than syscalls (e.g. closed).
Napi::Error CodeError(Napi::Env env, const char* code, const std::string& message);

bool ArgString(const Napi::CallbackInfo& info, size_t i, const char* what, std::string* out);
bool ArgFunction(const Napi::CallbackInfo& info, size_t i, const char* what, Napi::Function* out);
bool ArgObject(const Napi::CallbackInfo& info, size_t i, const char* what, Napi::Object* out);
bool ArgFd(const Napi::CallbackInfo& info, size_t i, int* out);
// A Uint8Array (Buffer included); its bytes stay valid during the call.
bool ArgBytes(const Napi::CallbackInfo& info, size_t i, const char* what, const uint8_t** data,
              size_t* length);
// An integer in [min, max]; `value` may be any JS value.
bool IntegerIn(Napi::Env env, Napi::Value value, const char* what, int64_t min, int64_t max,
               int64_t* out);
// obj[key] as a string if present (not undefined): *present says which.
bool OptionalString(Napi::Object obj, const char* key, std::string* out, bool* present);
// An interface name the kernel can take: 1..IFNAMSIZ-1 bytes, no NUL, no '/'.
bool CheckIfname(Napi::Env env, const std::string& ifname);
// An MD5 key (RFC 2385): at most TCP_MD5SIG_MAXKEYLEN (80) bytes.
bool CheckMd5Key(Napi::Env env, const std::string& key);

// "192.0.2.1", "2001:db8::1" or "fe80::1%eth0" (zone → scope id) plus a port.
// Throws a TypeError (and returns false) for anything else.
bool ParseSockaddr(Napi::Env env, const std::string& text, uint16_t port, sockaddr_storage* out,
                   socklen_t* length);
std::string FormatIpv6(const in6_addr& address);
std::string FormatMac(const uint8_t* bytes);

// Sets an int socket option; on failure throws ErrnoError naming `what`.
bool SetIntOption(Napi::Env env, int fd, int level, int option, int value, const char* what,
                  const std::string& context);
// TCP_MD5SIG for one peer (RFC 2385); an empty key removes the peer's key
// (and removing a key that is not there is not an error). An IPv4 peer on an
// AF_INET6 socket (dual-stack listener) is keyed by its v4-mapped address.
bool SetMd5(Napi::Env env, int fd, const std::string& peer, const std::string& key);

class PollHandle;

// Whatever owns a PollHandle gets its events, and is told when the handle
// went away without it asking (Node environment teardown).
class PollOwner {
 public:
  virtual ~PollOwner() = default;
  virtual void OnPoll(int status, int events) = 0;
  virtual void OnTeardown() = 0;
};

// An fd polled on Node's loop. The uv_poll_t lives on the heap until libuv's
// close callback, which closes the fd (unless Release()d) and frees the
// handle: the owner may go away first. An async cleanup hook closes it when
// the Node environment shuts down (worker exit) while it is still open.
class PollHandle {
 public:
  // Takes ownership of `fd` (closing it on failure too). Returns nullptr and
  // throws on failure.
  static PollHandle* Start(Napi::Env env, int fd, int events, PollOwner* owner,
                           const std::string& context);
  int fd() const { return fd_; }
  // Stops polling and closes the fd once libuv has let go of the handle.
  void Close();
  // Polls again after libuv stopped the handle on POLLERR; returns a uv error or 0.
  int Restart(int events);
  // SO_ERROR (clearing it), or `fallback` when the socket has none.
  int PendingError(int fallback) const;
  // Stops polling; the fd stays open and is returned (caller owns it).
  int Release();

 private:
  PollHandle() = default;
  static void OnEvent(uv_poll_t* poll, int status, int events);
  static void OnClosed(uv_handle_t* handle);
  static void OnEnvTeardown(napi_async_cleanup_hook_handle hook, void* data);

  uv_poll_t poll_{};
  int fd_ = -1;
  PollOwner* owner_ = nullptr;
  napi_async_cleanup_hook_handle hook_ = nullptr;
  bool closing_ = false;
};

}  // namespace metallb
