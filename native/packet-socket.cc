// Gratuitous ARP's socket, and an interface's index and MAC.
//   ifInfo(name)          ifindex + MAC by ioctl: works under `ip netns exec` and plain nsenter, where
//                         /sys/class/net may belong to another namespace (Node's os module has no
//                         ifindex).
//   PacketSocket(ifname)  AF_PACKET send-only socket for whole Ethernet frames (src/net/garp.ts
//                         builds them): Node has no AF_PACKET.
#include "common.h"

#include <cerrno>
#include <cstring>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace vrrpd {
namespace {

Napi::Value IfInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) {
    Napi::TypeError::New(env, "ifInfo(name: string)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string name = info[0].As<Napi::String>();
  if (!ValidIfName(name)) return ThrowErrno(env, "ifInfo " + name, ENODEV);

  // Any socket will do for these ioctls; a datagram one needs no privilege.
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return ThrowErrno(env, "socket", errno);
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, name.c_str(), name.size());
  if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0) {
    int e = errno;
    close(fd);
    return ThrowErrno(env, "SIOCGIFINDEX " + name, e);
  }
  int index = ifr.ifr_ifindex;
  if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
    int e = errno;
    close(fd);
    return ThrowErrno(env, "SIOCGIFHWADDR " + name, e);
  }
  close(fd);

  Napi::Object out = Napi::Object::New(env);
  out.Set("index", Napi::Number::New(env, index));
  out.Set("mac", Napi::Buffer<uint8_t>::Copy(
                     env, reinterpret_cast<const uint8_t*>(ifr.ifr_hwaddr.sa_data), 6));
  return out;
}

// Send-only: protocol 0 registers no packet handler, so the kernel never queues received frames
// on this socket and nobody has to drain it.
class PacketSocket : public Napi::ObjectWrap<PacketSocket> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "PacketSocket",
                       {InstanceMethod("send", &PacketSocket::Send),
                        InstanceMethod("close", &PacketSocket::Close)});
  }

  explicit PacketSocket(const Napi::CallbackInfo& info) : Napi::ObjectWrap<PacketSocket>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsString()) {
      Napi::TypeError::New(env, "new PacketSocket(ifname: string)").ThrowAsJavaScriptException();
      return;
    }
    std::string name = info[0].As<Napi::String>();
    ifindex_ = ValidIfName(name) ? static_cast<int>(if_nametoindex(name.c_str())) : 0;
    if (ifindex_ == 0) {
      ThrowErrno(env, "if_nametoindex " + name, ValidIfName(name) ? errno : ENODEV);
      return;
    }
    fd_ = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd_ < 0) {
      ThrowErrno(env, "socket(AF_PACKET)", errno);
      return;
    }
    sockaddr_ll sll{};
    sll.sll_family = AF_PACKET;
    sll.sll_ifindex = ifindex_;
    if (bind(fd_, reinterpret_cast<sockaddr*>(&sll), sizeof sll) < 0) {
      int e = errno;
      close(fd_);
      fd_ = -1;
      ThrowErrno(env, "bind(AF_PACKET) " + name, e);
    }
  }

  ~PacketSocket() override {
    if (fd_ >= 0) close(fd_);
  }

 private:
  // frame: a whole Ethernet frame, header included. The EtherType is handed to the kernel as
  // sll_protocol so the skb carries the right protocol (qdisc classification, taps).
  Napi::Value Send(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsBuffer()) {
      Napi::TypeError::New(env, "send(frame: Buffer)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (fd_ < 0) return ThrowErrno(env, "send", EBADF);
    auto frame = info[0].As<Napi::Buffer<uint8_t>>();
    if (frame.Length() < 14) return ThrowErrno(env, "send: frame shorter than an Ethernet header", EINVAL);
    sockaddr_ll sll{};
    sll.sll_family = AF_PACKET;
    sll.sll_ifindex = ifindex_;
    std::memcpy(&sll.sll_protocol, frame.Data() + 12, 2);  // already network byte order
    ssize_t n = sendto(fd_, frame.Data(), frame.Length(), MSG_DONTWAIT,
                       reinterpret_cast<sockaddr*>(&sll), sizeof sll);
    if (n < 0) return ThrowErrno(env, "send", errno);
    return Napi::Number::New(env, static_cast<double>(n));
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
    return info.Env().Undefined();
  }

  int fd_ = -1;
  int ifindex_ = 0;
};

}  // namespace

void RegisterPacketSocket(Napi::Env env, Napi::Object exports) {
  exports.Set("ifInfo", Napi::Function::New(env, IfInfo, "ifInfo"));
  exports.Set("PacketSocket", PacketSocket::Define(env));
}

}  // namespace vrrpd
