// metallb_link: the speaker's link-layer and BGP socket calls that Node's
// core modules do not have. Node-API only (NAPI_VERSION 8): one binary works
// on every Node version from 16.
#include "icmp6-socket.h"
#include "interface.h"
#include "packet-socket.h"
#include "tcp.h"

namespace metallb {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("PacketSocket", PacketSocket::Init(env));
  exports.Set("Icmp6Socket", Icmp6Socket::Init(env));
  exports.Set("TcpConnect", TcpConnect::Init(env));
  exports.Set("interfaceInfo", Napi::Function::New<InterfaceInfo>(env, "interfaceInfo"));
  exports.Set("tcpListen", Napi::Function::New<TcpListen>(env, "tcpListen"));
  exports.Set("setTcpMd5", Napi::Function::New<SetTcpMd5>(env, "setTcpMd5"));
  exports.Set("getSocketTtl", Napi::Function::New<GetSocketTtl>(env, "getSocketTtl"));
  exports.Set("setSocketTtl", Napi::Function::New<SetSocketTtl>(env, "setSocketTtl"));
  exports.Set("napiVersion", Napi::Number::New(env, NAPI_VERSION));
  return exports;
}

NODE_API_MODULE(metallb_link, Init)

}  // namespace metallb
