// interfaceInfo(ifname): index, MAC, MTU and flags of one interface, also
// for one without addresses (os.networkInterfaces() lists only those with).
#include "interface.h"

#include <net/if.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace metallb {

namespace {

struct Info {
  int ifindex = 0;
  int flags = 0;
  int mtu = 0;
  int hardware_type = 0;
  uint8_t mac[6] = {0};
};

// Returns the failed ioctl or nullptr.
const char* Query(int fd, const std::string& ifname, Info* out) {
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, ifname.data(), ifname.size());
  if (ioctl(fd, SIOCGIFINDEX, &ifr) != 0) return "ioctl(SIOCGIFINDEX)";
  out->ifindex = ifr.ifr_ifindex;
  if (ioctl(fd, SIOCGIFFLAGS, &ifr) != 0) return "ioctl(SIOCGIFFLAGS)";
  out->flags = ifr.ifr_flags & 0xffff;
  if (ioctl(fd, SIOCGIFMTU, &ifr) != 0) return "ioctl(SIOCGIFMTU)";
  out->mtu = ifr.ifr_mtu;
  if (ioctl(fd, SIOCGIFHWADDR, &ifr) != 0) return "ioctl(SIOCGIFHWADDR)";
  out->hardware_type = ifr.ifr_hwaddr.sa_family;
  std::memcpy(out->mac, ifr.ifr_hwaddr.sa_data, sizeof(out->mac));
  return nullptr;
}

}  // namespace

Napi::Value InterfaceInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string ifname;
  if (!ArgString(info, 0, "ifname", &ifname) || !CheckIfname(env, ifname)) return env.Undefined();
  // Any socket serves for the SIOCGIF* ioctls; a UDP one needs no privilege.
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    ErrnoError(env, "socket(AF_INET, SOCK_DGRAM)", errno, ifname).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Info result;
  const char* failed = Query(fd, ifname, &result);
  int err = errno;
  close(fd);
  if (failed != nullptr) {
    ErrnoError(env, failed, err, ifname).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("ifname", Napi::String::New(env, ifname));
  out.Set("ifindex", Napi::Number::New(env, result.ifindex));
  out.Set("mac", Napi::String::New(env, FormatMac(result.mac)));
  out.Set("hardwareType", Napi::Number::New(env, result.hardware_type));
  out.Set("mtu", Napi::Number::New(env, result.mtu));
  out.Set("flags", Napi::Number::New(env, result.flags));
  out.Set("up", Napi::Boolean::New(env, (result.flags & IFF_UP) != 0));
  out.Set("running", Napi::Boolean::New(env, (result.flags & IFF_RUNNING) != 0));
  out.Set("loopback", Napi::Boolean::New(env, (result.flags & IFF_LOOPBACK) != 0));
  out.Set("noArp", Napi::Boolean::New(env, (result.flags & IFF_NOARP) != 0));
  out.Set("multicast", Napi::Boolean::New(env, (result.flags & IFF_MULTICAST) != 0));
  // IFF_SLAVE: a bond member; the bond answers for it (MetalLB skips these too).
  out.Set("bondSlave", Napi::Boolean::New(env, (result.flags & IFF_SLAVE) != 0));
  out.Set("bondMaster", Napi::Boolean::New(env, (result.flags & IFF_MASTER) != 0));
  return out;
}

}  // namespace metallb
