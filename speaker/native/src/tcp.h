#pragma once

#include <memory>
#include <string>

#include "common.h"

namespace metallb {

// A non-blocking connect in flight: resolves through onDone(error, fd) once
// the socket is writable (SO_ERROR tells how it went). Keeps itself alive
// until then or until cancel().
class TcpConnect : public Napi::ObjectWrap<TcpConnect>, public PollOwner {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit TcpConnect(const Napi::CallbackInfo& info);
  ~TcpConnect() override;

 private:
  Napi::Value Cancel(const Napi::CallbackInfo& info);
  void OnPoll(int status, int events) override;
  void OnTeardown() override;
  void Finish();

  PollHandle* handle_ = nullptr;
  Napi::FunctionReference callback_;
  Napi::ObjectReference self_;
  std::unique_ptr<Napi::AsyncContext> async_;
  std::string context_;
};

Napi::Value TcpListen(const Napi::CallbackInfo& info);
Napi::Value SetTcpMd5(const Napi::CallbackInfo& info);
Napi::Value GetSocketTtl(const Napi::CallbackInfo& info);
Napi::Value SetSocketTtl(const Napi::CallbackInfo& info);

}  // namespace metallb
