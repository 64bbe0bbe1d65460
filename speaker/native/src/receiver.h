// What PacketSocket and Icmp6Socket share: a raw socket bound to one
// interface, polled for reading, whose messages go to one JS callback, a batch
// per readable event.
#pragma once

#include <sys/socket.h>

#include <cerrno>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common.h"

namespace metallb {

// Messages read per readable event at most. The poll is level-triggered, so
// what is left is read on the next loop turn, after other I/O had its turn.
constexpr int kBatch = 64;

// How a Receiver's socket is made: socket(domain, SOCK_RAW | SOCK_NONBLOCK |
// SOCK_CLOEXEC, protocol), named `syscall` in errors; `kind` names the class
// in messages ("PacketSocket(eth0) is closed").
struct RawSocket {
  const char* kind;
  int domain;
  int protocol;
  const char* syscall;
};

class Receiver : public PollOwner {
 public:
  ~Receiver() override;

 protected:
  // Starts polling `fd` (owned from here on) for the JS object `self`, whose
  // `onBatch(error, messages)` gets every batch. Keeps `self` alive until
  // Stop(). Returns false with a JS exception pending.
  bool Begin(Napi::Env env, Napi::Object self, int fd, Napi::Function onBatch,
             const std::string& name);
  // Opens `raw`, lets configure(fd) bind it to `ifname` (it returns the failed
  // call's name, or nullptr), Begin()s as "<kind>(<ifname>)" and sets
  // `self.ifname`. Returns false with a JS exception pending (an ErrnoError
  // naming the failed call, the fd closed).
  bool Open(Napi::Object self, const RawSocket& raw, const std::string& ifname,
            Napi::Function onBatch, const std::function<const char*(int fd)>& configure);
  // Idempotent: stops polling, closes the fd (once libuv let go of the
  // handle), drops the callback and the self-reference.
  void Stop();
  bool open() const { return handle_ != nullptr; }
  int fd() const { return handle_ != nullptr ? handle_->fd() : -1; }
  const std::string& name() const { return name_; }
  // True while open; else throws ERR_LINK_CLOSED and returns false.
  bool CheckOpen(Napi::Env env) const;
  // Calls onBatch(error, messages) with the JS object as `this`. An exception
  // thrown by the callback goes to process 'uncaughtException', as it would
  // from any other I/O callback.
  void Deliver(Napi::Env env, Napi::Value error, Napi::Array messages);

  // Reads up to kBatch messages into `messages`; returns 0 or an errno.
  virtual int ReadBatch(Napi::Env env, Napi::Array messages) = 0;

  // ReadBatch's loop: recvmsg(MSG_DONTWAIT) up to kBatch times into a buffer
  // of kSize bytes, with the sender in a `From` and kControl bytes for
  // ancillary data, calling on_message(data, length, from, &msg) for each
  // message that fit (longer ones arrive with MSG_TRUNC and are skipped).
  // Returns 0 once the socket has no more (EAGAIN) or the batch is full, else
  // the errno.
  template <typename From, size_t kSize, size_t kControl, typename OnMessage>
  int ReceiveEach(OnMessage&& on_message) {
    uint8_t buffer[kSize];
    alignas(cmsghdr) char control[kControl];
    for (int i = 0; i < kBatch; i++) {
      From from{};
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
      if ((msg.msg_flags & MSG_TRUNC) != 0) continue;
      on_message(static_cast<const uint8_t*>(buffer), static_cast<size_t>(got),
                 static_cast<const From&>(from), &msg);
    }
    return 0;
  }

 private:
  void OnPoll(int status, int events) override;
  void OnTeardown() override;
  void Forget();

  PollHandle* handle_ = nullptr;
  Napi::FunctionReference on_batch_;
  Napi::ObjectReference self_;
  std::unique_ptr<Napi::AsyncContext> context_;
  std::string name_;
};

}  // namespace metallb
