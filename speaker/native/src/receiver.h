// What PacketSocket and Icmp6Socket share: an fd polled for reading whose
// messages go to one JS callback, a batch per readable event.
#pragma once

#include <memory>
#include <string>

#include "common.h"

namespace metallb {

// Messages read per readable event at most. The poll is level-triggered, so
// what is left is read on the next loop turn, after other I/O had its turn.
constexpr int kBatch = 64;

class Receiver : public PollOwner {
 public:
  ~Receiver() override;

 protected:
  // Starts polling `fd` (owned from here on) for the JS object `self`, whose
  // `onBatch(error, messages)` gets every batch. Keeps `self` alive until
  // Stop(). Returns false with a JS exception pending.
  bool Begin(Napi::Env env, Napi::Object self, int fd, Napi::Function onBatch,
             const std::string& name);
  // Idempotent: stops polling, closes the fd (once libuv let go of the
  // handle), drops the callback and the self-reference.
  void Stop();
  bool open() const { return handle_ != nullptr; }
  int fd() const { return handle_ != nullptr ? handle_->fd() : -1; }
  const std::string& name() const { return name_; }
  // Calls onBatch(error, messages) with the JS object as `this`. An exception
  // thrown by the callback goes to process 'uncaughtException', as it would
  // from any other I/O callback.
  void Deliver(Napi::Env env, Napi::Value error, Napi::Array messages);

  // Reads up to kBatch messages into `messages`; returns 0 or an errno.
  virtual int ReadBatch(Napi::Env env, Napi::Array messages) = 0;

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
