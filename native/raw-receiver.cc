// RawReceiver(ifname, ifindex, onDatagrams, onError): the VRRP receive socket (protocol 112) on
// Node's loop, each datagram stamped on CLOCK_MONOTONIC as recvfrom() returns, handed to JS in
// batches of at most 32 per loop turn. Native because Node has no raw IP sockets, and the npm
// package that has them is not N-API and runs a wake-up between recvfrom() and the stamp (README
// "Dependencies and native code").
#include "polled-socket.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <vector>

namespace vrrpd {
namespace {

// The VRRP receive socket: AF_INET raw, protocol 112, bound to one interface, watched by uv_poll on
// Node's loop. On readable it drains the queue with recvfrom() until EAGAIN or kMaxPerWake reads,
// stamping each datagram on CLOCK_MONOTONIC (monotonicMs()'s clock) the moment recvfrom() returns,
// then hands the batch to JS in one call: callback(bytes: Buffer[], from: string[], at: number[]).
// The bound keeps a flood from holding the loop: epoll is level-triggered, so what is left is read
// on the next loop turn, after the timers, the timerfd and setImmediate have had theirs; 32 is
// libuv's own bound for a UDP socket's reads per wake-up.
// Only a dead descriptor (EBADF, ENOTSOCK, EFAULT, EINVAL, or an error from the poll itself) stops
// it, and onError(error) is called once it is closed; any other read error is skipped and reading
// goes on (none is expected: an unconnected raw socket without IP_RECVERR is not even told of ICMP
// errors, e.g. a unicast peer's host answering our advert with protocol unreachable).
// The watching, holding and stopping are PolledSocket's (polled-socket.h).
class RawReceiver : public PolledSocket<RawReceiver> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "RawReceiver",
                       {InstanceMethod("join", &RawReceiver::Join), InstanceMethod("close", &RawReceiver::Close),
                        StaticValue("maxPerWake", Napi::Number::New(env, kMaxPerWake))});
  }

  explicit RawReceiver(const Napi::CallbackInfo& info) : PolledSocket<RawReceiver>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 4 || !info[0].IsString() || !info[1].IsNumber() || !info[2].IsFunction() || !info[3].IsFunction()) {
      Napi::TypeError::New(env, "new RawReceiver(ifname: string, ifindex: number, onDatagrams, onError)")
          .ThrowAsJavaScriptException();
      return;
    }
    std::string name = info[0].As<Napi::String>();
    ifindex_ = info[1].As<Napi::Number>().Int32Value();
    if (!ValidIfName(name) || ifindex_ <= 0) {
      ThrowErrno(env, "RawReceiver " + name, ENODEV);
      return;
    }
    fd_ = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, kIpprotoVrrp);
    if (fd_ < 0) {
      ThrowErrno(env, "socket(IPPROTO_VRRP)", errno);
      return;
    }
    // keepalived's receive socket options: only what arrives on this interface (a raw socket
    // reports no ingress ifindex), and only the groups this socket joined (without
    // IP_MULTICAST_ALL 0 it also gets every group any other socket on the host joined).
    // docs/reference/keepalived-behaviour.md#sockets-and-the-ip-header
    int off = 0;
    const char* failed = nullptr;
    if (setsockopt(fd_, SOL_SOCKET, SO_BINDTODEVICE, name.c_str(), static_cast<socklen_t>(name.size() + 1)) < 0)
      failed = "SO_BINDTODEVICE";
    else if (setsockopt(fd_, IPPROTO_IP, IP_MULTICAST_ALL, &off, sizeof off) < 0)
      failed = "IP_MULTICAST_ALL";
    if (failed != nullptr) {
      int e = errno;
      CloseFd();
      ThrowErrno(env, failed, e);
      return;
    }
    buffer_.resize(65535);  // the largest IPv4 datagram: nothing is ever truncated
    Watch(env, "VRRP socket", info[2], info[3], true);
  }

 private:
  friend class PolledSocket<RawReceiver>;
  static constexpr int kIpprotoVrrp = 112;

  void Drain(int status) {
    Napi::Env env(env_);
    Napi::HandleScope scope(env);
    // A local handle on our own wrapper: should a callback close us and drop every reference, the
    // object still outlives this call.
    [[maybe_unused]] Napi::Object keep = Value();
    Napi::Array bytes = Napi::Array::New(env);
    Napi::Array from = Napi::Array::New(env);
    Napi::Array at = Napi::Array::New(env);
    uint32_t count = 0;
    int fatal = status < 0 ? -status : 0;
    for (int reads = 0; fatal == 0 && reads < kMaxPerWake; reads++) {
      sockaddr_in source{};
      socklen_t sourceLength = sizeof source;
      ssize_t n = recvfrom(fd_, buffer_.data(), buffer_.size(), 0, reinterpret_cast<sockaddr*>(&source), &sourceLength);
      if (n < 0) {
        int e = errno;
        if (e == EAGAIN || e == EWOULDBLOCK) break;
        if (Fatal(e)) fatal = e;
        continue;  // EINTR, or the socket's pending error now cleared
      }
      double stamp = MonotonicNowMs();
      char text[INET_ADDRSTRLEN] = "";
      inet_ntop(AF_INET, &source.sin_addr, text, sizeof text);
      bytes.Set(count, Napi::Buffer<uint8_t>::Copy(env, buffer_.data(), static_cast<size_t>(n)));
      from.Set(count, Napi::String::New(env, text));
      at.Set(count, Napi::Number::New(env, stamp));
      count++;
    }
    if (count > 0 && !onDatagrams_.IsEmpty()) CallFromLoop(env_, onDatagrams_, {bytes, from, at});
    if (fatal == 0 || handle_ == nullptr) return;  // fine, or closed by the callback
    Fail(env, status < 0 ? "poll" : "recvfrom", fatal);
  }

  // join(group: string): IP_ADD_MEMBERSHIP on our interface; a group already joined is fine.
  Napi::Value Join(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsString()) {
      Napi::TypeError::New(env, "join(group: string)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (fd_ < 0) return ThrowErrno(env, "IP_ADD_MEMBERSHIP", EBADF);
    std::string group = info[0].As<Napi::String>();
    ip_mreqn mreqn{};
    if (inet_pton(AF_INET, group.c_str(), &mreqn.imr_multiaddr) != 1) return ThrowErrno(env, "IP_ADD_MEMBERSHIP " + group, EINVAL);
    mreqn.imr_ifindex = ifindex_;
    if (setsockopt(fd_, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreqn, sizeof mreqn) < 0 && errno != EADDRINUSE)
      return ThrowErrno(env, "IP_ADD_MEMBERSHIP " + group, errno);
    return env.Undefined();
  }

  int ifindex_ = 0;
  std::vector<uint8_t> buffer_;
};

}  // namespace

void RegisterRawReceiver(Napi::Env env, Napi::Object exports) { exports.Set("RawReceiver", RawReceiver::Define(env)); }

}  // namespace vrrpd
