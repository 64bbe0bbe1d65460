#pragma once

#include "receiver.h"

namespace metallb {

class PacketSocket : public Napi::ObjectWrap<PacketSocket>, public Receiver {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit PacketSocket(const Napi::CallbackInfo& info);

 private:
  Napi::Value Send(const Napi::CallbackInfo& info);
  Napi::Value CloseMethod(const Napi::CallbackInfo& info);
  Napi::Value IsOpen(const Napi::CallbackInfo& info);
  int ReadBatch(Napi::Env env, Napi::Array frames) override;
};

}  // namespace metallb
