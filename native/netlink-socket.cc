// NetlinkSocket(groups, onDatagrams, onError): a NETLINK_ROUTE socket on Node's loop that sends
// the bytes it is given and hands JavaScript the raw datagrams the kernel answers with; bound to
// rtnetlink multicast groups (a bit mask), it is a monitor. src/net/rtnl.ts uses one for its dumps
// (links, addresses) and one per watcher; src/net/rtnl-messages.ts builds and parses the messages.
// Bytes in, bytes out: nothing here knows a message's layout.
#include "polled-socket.h"

#include <cerrno>
#include <cstring>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <vector>

namespace vrrpd {
namespace {

// On readable it drains the socket with recv() until EAGAIN or kMaxPerWake datagrams, and hands
// them to JS in one call: onDatagrams(datagrams: Buffer[], overrun: boolean). `overrun`: a recv()
// failed with ENOBUFS, i.e. the kernel dropped messages for a full receive queue (a monitor must
// re-read what it watches); reading goes on. Level-triggered epoll reads what is left next turn.
// A dead descriptor or another poll error stops it and calls onError(error) once, after closing.
// The handle keeps the loop alive only while ref(true) (a monitor; a dump in flight); the
// watching, holding and stopping are PolledSocket's (polled-socket.h), as for RawReceiver.
class NetlinkSocket : public PolledSocket<NetlinkSocket> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NetlinkSocket",
                       {InstanceMethod("send", &NetlinkSocket::Send), InstanceMethod("ref", &NetlinkSocket::SetRef),
                        InstanceMethod("close", &NetlinkSocket::Close)});
  }

  explicit NetlinkSocket(const Napi::CallbackInfo& info) : PolledSocket<NetlinkSocket>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsFunction() || !info[2].IsFunction()) {
      Napi::TypeError::New(env, "new NetlinkSocket(groups: number, onDatagrams, onError)").ThrowAsJavaScriptException();
      return;
    }
    fd_ = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd_ < 0) {
      ThrowErrno(env, "socket(NETLINK_ROUTE)", errno);
      return;
    }
    // A monitor's queue must hold a burst (a takeover's VIPs, a reload): 1 MiB, as keepalived's
    // netlink monitor asks with SO_RCVBUFFORCE; without CAP_NET_ADMIN the sysctl's ceiling applies.
    int bytes = 1 << 20;
    if (setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) < 0) setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
    sockaddr_nl local{};
    local.nl_family = AF_NETLINK;
    local.nl_groups = info[0].As<Napi::Number>().Uint32Value();
    if (bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) < 0) {
      int e = errno;
      CloseFd();
      ThrowErrno(env, "bind(NETLINK_ROUTE)", e);
      return;
    }
    // A dump's datagrams are at most a page or two (the kernel sizes them to the reader's buffer,
    // up to 32 KiB); 64 KiB never truncates.
    buffer_.resize(65536);
    Watch(env, "NETLINK_ROUTE", info[1], info[2], false);
  }

 private:
  friend class PolledSocket<NetlinkSocket>;

  void Drain(int status) {
    Napi::Env env(env_);
    Napi::HandleScope scope(env);
    [[maybe_unused]] Napi::Object keep = Value();
    Napi::Array datagrams = Napi::Array::New(env);
    uint32_t count = 0;
    bool overrun = false;
    int fatal = 0;
    // A full queue sets the socket's error, epoll reports EPOLLERR, and libuv hands that over as
    // UV_EBADF with the handle stopped: ask the socket what it was, and poll again if an overrun.
    if (status < 0) {
      int pending = 0;
      socklen_t length = sizeof pending;
      if (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &pending, &length) < 0) pending = errno;
      if (pending == ENOBUFS) {
        overrun = true;
        int rc = Rearm();
        if (rc != 0) fatal = -rc;
      } else {
        fatal = pending != 0 ? pending : -status;
      }
    }
    for (int reads = 0; fatal == 0 && reads < kMaxPerWake; reads++) {
      ssize_t n = recv(fd_, buffer_.data(), buffer_.size(), 0);
      if (n < 0) {
        int e = errno;
        if (e == EAGAIN || e == EWOULDBLOCK) break;
        if (e == ENOBUFS) overrun = true;
        else if (Fatal(e)) fatal = e;
        continue;
      }
      datagrams.Set(count++, Napi::Buffer<uint8_t>::Copy(env, buffer_.data(), static_cast<size_t>(n)));
    }
    if ((count > 0 || overrun) && !onDatagrams_.IsEmpty())
      CallFromLoop(env_, onDatagrams_, {datagrams, Napi::Boolean::New(env, overrun)});
    if (fatal == 0 || handle_ == nullptr) return;
    Fail(env, std::string(status < 0 ? "poll" : "recv") + "(NETLINK_ROUTE)", fatal);
  }

  // send(bytes: Buffer): one sendto() to the kernel; throws with its errno.
  Napi::Value Send(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsBuffer()) {
      Napi::TypeError::New(env, "send(bytes: Buffer)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (fd_ < 0) return ThrowErrno(env, "send(NETLINK_ROUTE)", EBADF);
    auto bytes = info[0].As<Napi::Buffer<uint8_t>>();
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    ssize_t n;
    do n = sendto(fd_, bytes.Data(), bytes.Length(), 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel);
    while (n < 0 && errno == EINTR);
    if (n < 0) return ThrowErrno(env, "send(NETLINK_ROUTE)", errno);
    return env.Undefined();
  }

  // ref(on: boolean): whether the socket keeps Node's loop alive.
  Napi::Value SetRef(const Napi::CallbackInfo& info) {
    if (handle_ != nullptr && info.Length() > 0) {
      if (info[0].ToBoolean().Value()) uv_ref(reinterpret_cast<uv_handle_t*>(handle_));
      else uv_unref(reinterpret_cast<uv_handle_t*>(handle_));
    }
    return info.Env().Undefined();
  }

  std::vector<uint8_t> buffer_;
};

}  // namespace

void RegisterNetlinkSocket(Napi::Env env, Napi::Object exports) { exports.Set("NetlinkSocket", NetlinkSocket::Define(env)); }

}  // namespace vrrpd
