#pragma once

#include "receiver.h"

namespace metallb {

class Icmp6Socket : public Napi::ObjectWrap<Icmp6Socket>, public Receiver {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit Icmp6Socket(const Napi::CallbackInfo& info);

 private:
  Napi::Value Send(const Napi::CallbackInfo& info);
  Napi::Value JoinGroup(const Napi::CallbackInfo& info);
  Napi::Value LeaveGroup(const Napi::CallbackInfo& info);
  Napi::Value Membership(const Napi::CallbackInfo& info, int option, const char* syscall);
  Napi::Value CloseMethod(const Napi::CallbackInfo& info);
  Napi::Value IsOpen(const Napi::CallbackInfo& info);
  int ReadBatch(Napi::Env env, Napi::Array messages) override;

  unsigned int ifindex_ = 0;
};

}  // namespace metallb
