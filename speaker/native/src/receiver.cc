#include "receiver.h"

#include <unistd.h>

namespace metallb {

Receiver::~Receiver() { Stop(); }

bool Receiver::Begin(Napi::Env env, Napi::Object self, int fd, Napi::Function onBatch,
                     const std::string& name) {
  name_ = name;
  handle_ = PollHandle::Start(env, fd, UV_READABLE, this, name);
  if (handle_ == nullptr) return false;
  on_batch_ = Napi::Persistent(onBatch);
  self_ = Napi::Persistent(self);  // strong: an open socket is never collected
  context_ = std::make_unique<Napi::AsyncContext>(env, name.c_str(), self);
  return true;
}

bool Receiver::Open(Napi::Object self, const RawSocket& raw, const std::string& ifname,
                    Napi::Function onBatch, const std::function<const char*(int fd)>& configure) {
  Napi::Env env = self.Env();
  int fd = socket(raw.domain, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, raw.protocol);
  if (fd < 0) {
    ErrnoError(env, raw.syscall, errno, ifname).ThrowAsJavaScriptException();
    return false;
  }
  const char* failed = configure(fd);
  if (failed != nullptr) {
    int err = errno;
    close(fd);
    ErrnoError(env, failed, err, ifname).ThrowAsJavaScriptException();
    return false;
  }
  if (!Begin(env, self, fd, onBatch, std::string(raw.kind) + "(" + ifname + ")")) return false;
  self.Set("ifname", Napi::String::New(env, ifname));
  return true;
}

bool Receiver::CheckOpen(Napi::Env env) const {
  if (open()) return true;
  CodeError(env, "ERR_LINK_CLOSED", name_ + " is closed").ThrowAsJavaScriptException();
  return false;
}

void Receiver::Forget() {
  handle_ = nullptr;
  if (!on_batch_.IsEmpty()) on_batch_.Reset();
  if (!self_.IsEmpty()) self_.Reset();
  context_.reset();
}

void Receiver::Stop() {
  if (handle_ == nullptr) return;
  handle_->Close();
  Forget();
}

void Receiver::OnTeardown() { Forget(); }

void Receiver::OnPoll(int status, int /*events*/) {
  Napi::Env env = on_batch_.Env();
  Napi::HandleScope scope(env);
  Napi::Array messages = Napi::Array::New(env);
  if (status < 0) {
    // libuv reports POLLERR as UV_EBADF and stops the handle; the socket's
    // own error (e.g. ENETDOWN while the interface is down) says what it was.
    // Reading it clears it, and the socket keeps working, so poll again.
    int err = handle_->PendingError(-status);
    int restart = handle_->Restart(UV_READABLE);
    Deliver(env, ErrnoError(env, "poll", err, name_).Value(), messages);
    if (restart != 0 && open()) {
      Deliver(env, ErrnoError(env, "uv_poll_start", -restart, name_).Value(), messages);
    }
    return;
  }
  int err = ReadBatch(env, messages);
  if (err == 0 && messages.Length() == 0) return;
  Napi::Value error = err != 0 ? ErrnoError(env, "recvmsg", err, name_).Value() : env.Null();
  Deliver(env, error, messages);
}

void Receiver::Deliver(Napi::Env env, Napi::Value error, Napi::Array messages) {
  if (on_batch_.IsEmpty() || context_ == nullptr) return;
  // Local handles keep the object and the function alive during the call, and
  // the async context is held here: the callback may close the socket.
  Napi::Object self = self_.Value();
  Napi::Function callback = on_batch_.Value();
  std::unique_ptr<Napi::AsyncContext> context = std::move(context_);
  callback.MakeCallback(self, {error, messages}, *context);
  if (handle_ != nullptr && context_ == nullptr) context_ = std::move(context);
  if (env.IsExceptionPending()) {
    Napi::Error thrown = env.GetAndClearPendingException();
    napi_fatal_exception(env, thrown.Value());
  }
}

}  // namespace metallb
