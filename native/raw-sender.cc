// RawSender(ifname, ifindex): the send-only IPv4 raw socket (IPPROTO_RAW: IP_HDRINCL implied,
// never receives) for VRRP adverts. send(datagram, dst) is one synchronous sendto(): the advert is
// on the wire before the call returns. Native because Node has no raw IP sockets, and the header
// (source address, TTL 255) is ours to write (src/vrrp/packet.ts).
#include "raw-sender.h"

#include "common.h"

#include <arpa/inet.h>
#include <cerrno>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>

namespace vrrpd {

namespace {
// The constructor, so From() can tell a RawSender from any other wrapped object.
Napi::FunctionReference* rawSenderConstructor = nullptr;
}  // namespace

Napi::Function RawSender::Define(Napi::Env env) {
  return DefineClass(env, "RawSender",
                     {InstanceMethod("send", &RawSender::Send),
                      InstanceMethod("close", &RawSender::Close)});
}

RawSender* RawSender::From(Napi::Object object) {
  if (rawSenderConstructor == nullptr || !object.InstanceOf(rawSenderConstructor->Value())) return nullptr;
  return Unwrap(object);
}

RawSender::RawSender(const Napi::CallbackInfo& info) : Napi::ObjectWrap<RawSender>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsNumber()) {
    Napi::TypeError::New(env, "new RawSender(ifname: string, ifindex: number)").ThrowAsJavaScriptException();
    return;
  }
  std::string name = info[0].As<Napi::String>();
  int ifindex = info[1].As<Napi::Number>().Int32Value();
  if (!ValidIfName(name) || ifindex <= 0) {
    ThrowErrno(env, "RawSender " + name, ENODEV);
    return;
  }
  fd_ = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_RAW);
  if (fd_ < 0) {
    ThrowErrno(env, "socket(IPPROTO_RAW)", errno);
    return;
  }
  // keepalived's send socket options: bound to the interface, multicast out of it, not looped back
  // to our own receive socket. The TTL is the header's (IP_HDRINCL).
  // docs/reference/keepalived-behaviour.md#sockets-and-the-ip-header
  ip_mreqn mreqn{};
  mreqn.imr_ifindex = ifindex;
  int off = 0;
  const char* failed = nullptr;
  if (setsockopt(fd_, SOL_SOCKET, SO_BINDTODEVICE, name.c_str(), static_cast<socklen_t>(name.size() + 1)) < 0)
    failed = "SO_BINDTODEVICE";
  else if (setsockopt(fd_, IPPROTO_IP, IP_MULTICAST_IF, &mreqn, sizeof mreqn) < 0)
    failed = "IP_MULTICAST_IF";
  else if (setsockopt(fd_, IPPROTO_IP, IP_MULTICAST_LOOP, &off, sizeof off) < 0)
    failed = "IP_MULTICAST_LOOP";
  if (failed != nullptr) {
    int e = errno;
    close(fd_);
    fd_ = -1;
    ThrowErrno(env, failed, e);
  }
}

RawSender::~RawSender() {
  if (fd_ >= 0) close(fd_);
}

// send(datagram: Buffer, dst: string): bytes sent. Never blocks (MSG_DONTWAIT): a full socket
// buffer is EAGAIN/ENOBUFS, thrown with errno like any other failure.
Napi::Value RawSender::Send(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsBuffer() || !info[1].IsString()) {
    Napi::TypeError::New(env, "send(datagram: Buffer, dst: string)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (fd_ < 0) return ThrowErrno(env, "send", EBADF);
  auto datagram = info[0].As<Napi::Buffer<uint8_t>>();
  if (datagram.Length() < 20) return ThrowErrno(env, "send: shorter than an IPv4 header", EINVAL);
  std::string dst = info[1].As<Napi::String>();
  sockaddr_in to{};
  to.sin_family = AF_INET;
  if (inet_pton(AF_INET, dst.c_str(), &to.sin_addr) != 1) return ThrowErrno(env, "send to " + dst, EINVAL);
  ssize_t n;
  do n = sendto(fd_, datagram.Data(), datagram.Length(), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&to), sizeof to);
  while (n < 0 && errno == EINTR);
  if (n < 0) return ThrowErrno(env, "send to " + dst, errno);
  return Napi::Number::New(env, static_cast<double>(n));
}

Napi::Value RawSender::Close(const Napi::CallbackInfo& info) {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  return info.Env().Undefined();
}

void RegisterRawSender(Napi::Env env, Napi::Object exports) {
  Napi::Function rawSender = RawSender::Define(env);
  rawSenderConstructor = new Napi::FunctionReference(Napi::Persistent(rawSender));
  exports.Set("RawSender", rawSender);
}

}  // namespace vrrpd
