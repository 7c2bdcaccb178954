// vrrpd's only native code: the few syscalls Node and the npm packages we use cannot make.
//   ifInfo(name)            ifindex + MAC by ioctl: works under `ip netns exec` and plain nsenter,
//                           where /sys/class/net may belong to another namespace.
//   PacketSocket(ifname)    AF_PACKET send-only socket for gratuitous ARP (reference/node-deps.md §3).
//   RawSender(ifname, ifindex)  send-only IPv4 raw socket (IPPROTO_RAW: IP_HDRINCL implied, never
//                           receives) for VRRP adverts. send(datagram, dst) is one synchronous
//                           sendto(): the advert is on the wire before the call returns.
//   RawReceiver(ifname, ifindex, onDatagrams, onError)  the VRRP receive socket (protocol 112) on
//                           Node's loop: each datagram stamped on CLOCK_MONOTONIC as recvfrom()
//                           returns, handed to JS in batches of at most 32 per loop turn.
//   NetlinkRoute()          NETLINK_ROUTE socket for synchronous RTM_NEWADDR/RTM_DELADDR with ACK,
//                           as keepalived adds a VIP: the kernel handles the request inside
//                           sendto(), so the ack is already queued when recv() reads it. Used on
//                           the takeover path (advert, VIPs, GARP without awaiting anything).
//   sdNotify(state)         systemd readiness/watchdog without libsystemd (node-deps.md §4).
//   openlog/syslog          libc syslog, so log lines land where keepalived's do.
//   journalSend(path, buf)  systemd's native journal protocol: native/journal.cc.
//   cloexec(minFd)          FD_CLOEXEC on every open descriptor >= minFd that lacks it; returns
//                           the fds it marked (what vrrpd inherited, at start-up).
//   cloexecRange(minFd)     the same for every descriptor in one close_range(CLOSE_RANGE_CLOEXEC)
//                           call; false where the kernel lacks it (before 5.11). The guard run
//                           before each child starts (src/exec-guard.ts).
//   flock(fd)               flock(LOCK_EX|LOCK_NB) for the pidfile lock: Node has no flock, and
//                           the kernel drops the lock when the process dies, however it dies.
//   peerCred(fd)            SO_PEERCRED of a connected unix socket (pid, uid, gid): the control
//                           socket answers root and the daemon's own uid only; Node cannot read it.
//   sigrtmin()              libc's SIGRTMIN (glibc reserves the first realtime signals for itself).
//   SignalWatcher(n, fn)    catch signal n on Node's event loop: Node's process.on() only knows the
//                           signals in os.constants.signals, and the default action of a realtime
//                           signal (keepalived's JSON = SIGRTMIN+2, STATS_CLEAR = SIGRTMIN+29)
//                           terminates the process.
//   TimerFd(fn)             one CLOCK_MONOTONIC timerfd armed at absolute deadlines (sub-ms) and
//                           watched by uv_poll: libuv's own timers are whole ms on a cached loop
//   monotonicMs()           time, so they fire up to ~1 ms late; src/vrrp/scheduler.ts keeps the
//   spinUntil(ms)           deadlines in a heap and arms this one fd for the earliest, and waits
//                           out the last stretch to a precise one in C.
// Errors are thrown as Error objects carrying `errno` (a number) and strerror text; the TypeScript
// wrapper in src/native.ts turns them into values.
#include <napi.h>

#include <arpa/inet.h>
#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <linux/if_addr.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <net/if.h>
#include <string>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <ctime>
#include <cmath>
#include <syslog.h>
#include <unistd.h>
#include <uv.h>

#include <csignal>
#include <functional>
#include <queue>
#include <unordered_map>
#include <vector>

// GCC 11+ headers let every container allocation call std::__throw_bad_array_new_length, which
// only GCC 11's libstdc++ has (GLIBCXX_3.4.29); RHEL 8's (GCC 8) stops at GLIBCXX_3.4.25, where the
// addon would not load. So the addon has its own (Node loads addons RTLD_LOCAL: it stands in for
// nobody else's). Reached only for a size above max_size(), a bug, it aborts, as the uncaught
// throw would without C++ exceptions. (Linking libstdc++ statically instead gave 390 KB against
// 164 KB, and needed GLIBC_2.36 for the build host's arc4random and _dl_find_object.)
namespace std {
void __throw_bad_array_new_length() { std::abort(); }
}  // namespace std

void RegisterJournal(Napi::Env env, Napi::Object exports);  // native/journal.cc

namespace {

Napi::Value ThrowErrno(Napi::Env env, const std::string& what, int errnum) {
  Napi::Error e = Napi::Error::New(env, what + ": " + std::strerror(errnum));
  e.Set("errno", Napi::Number::New(env, errnum));
  e.ThrowAsJavaScriptException();
  return env.Undefined();
}

// Interface names are at most IFNAMSIZ-1 bytes; longer ones would be silently truncated by
// strncpy into ifr_name and could name a different interface.
bool ValidIfName(const std::string& name) { return !name.empty() && name.size() < IFNAMSIZ; }

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

// Send-only IPv4 raw socket for adverts. IPPROTO_RAW implies IP_HDRINCL and the kernel delivers
// nothing to it, so there is no receive queue to drain (RawReceiver receives). The kernel
// fills in total length and header checksum (and an id of 0, which we never send); everything else
// goes out as given, so the wire is the bytes packet.ts built.
class RawSender : public Napi::ObjectWrap<RawSender> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "RawSender",
                       {InstanceMethod("send", &RawSender::Send),
                        InstanceMethod("close", &RawSender::Close)});
  }

  explicit RawSender(const Napi::CallbackInfo& info) : Napi::ObjectWrap<RawSender>(info) {
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
    // keepalived's send socket options (reference §3.1): bound to the interface, multicast out of
    // it, not looped back to our own receive socket. The TTL is the header's (IP_HDRINCL).
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

  ~RawSender() override {
    if (fd_ >= 0) close(fd_);
  }

 private:
  // send(datagram: Buffer, dst: string): bytes sent. Never blocks (MSG_DONTWAIT): a full socket
  // buffer is EAGAIN/ENOBUFS, thrown with errno like any other failure.
  Napi::Value Send(const Napi::CallbackInfo& info) {
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

  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
    return info.Env().Undefined();
  }

  int fd_ = -1;

  friend class AdvertRepeater;
};

// The constructor, so AdvertRepeater can tell a RawSender from any other wrapped object.
Napi::FunctionReference* rawSenderConstructor = nullptr;

// Synchronous rtnetlink address requests. One request, one ack: rtnetlink runs the request in
// the sender's context, so the ack (NLMSG_ERROR, error 0 or -errno) is queued before sendto()
// returns and the blocking recv() only copies it; SO_RCVTIMEO bounds it anyway. The socket is
// bound to no group, so nothing but our acks ever arrives on it.
class NetlinkRoute : public Napi::ObjectWrap<NetlinkRoute> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NetlinkRoute",
                       {InstanceMethod("address", &NetlinkRoute::Address),
                        InstanceMethod("close", &NetlinkRoute::Close)});
  }

  explicit NetlinkRoute(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NetlinkRoute>(info) {
    Napi::Env env = info.Env();
    fd_ = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd_ < 0) {
      ThrowErrno(env, "socket(NETLINK_ROUTE)", errno);
      return;
    }
    timeval tv{1, 0};
    sockaddr_nl local{};
    local.nl_family = AF_NETLINK;
    if (setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0 ||
        bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) < 0) {
      int e = errno;
      close(fd_);
      fd_ = -1;
      ThrowErrno(env, "NETLINK_ROUTE setup", e);
    }
  }

  ~NetlinkRoute() override {
    if (fd_ >= 0) close(fd_);
  }

 private:
  // address(add: boolean, ifindex: number, address: string, prefixLength: number, label?: string)
  // add: RTM_NEWADDR with NLM_F_CREATE|NLM_F_REPLACE (idempotent), IFA_LOCAL = IFA_ADDRESS =
  // address, scope global, IFA_LABEL when given (keepalived's netlink_ipaddress()).
  // delete: RTM_DELADDR naming IFA_LOCAL. Throws with the kernel's errno.
  Napi::Value Address(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 4 || !info[0].IsBoolean() || !info[1].IsNumber() || !info[2].IsString() || !info[3].IsNumber() ||
        (info.Length() > 4 && !info[4].IsString() && !info[4].IsUndefined())) {
      Napi::TypeError::New(env, "address(add: boolean, ifindex: number, address: string, prefixLength: number, label?: string)")
          .ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (fd_ < 0) return ThrowErrno(env, "rtnetlink", EBADF);
    bool add = info[0].As<Napi::Boolean>().Value();
    int ifindex = info[1].As<Napi::Number>().Int32Value();
    std::string address = info[2].As<Napi::String>();
    int prefix = info[3].As<Napi::Number>().Int32Value();
    std::string label = info.Length() > 4 && info[4].IsString() ? info[4].As<Napi::String>().Utf8Value() : std::string();
    in_addr addr{};
    if (inet_pton(AF_INET, address.c_str(), &addr) != 1 || prefix < 0 || prefix > 32 || ifindex <= 0 || label.size() >= IFNAMSIZ)
      return ThrowErrno(env, "rtnetlink address " + address, EINVAL);

    struct {
      nlmsghdr nh;
      ifaddrmsg ifa;
      char attrs[3 * RTA_SPACE(IFNAMSIZ)];
    } req{};
    req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(ifaddrmsg));
    req.nh.nlmsg_type = add ? RTM_NEWADDR : RTM_DELADDR;
    req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_REPLACE : 0);
    req.nh.nlmsg_seq = ++seq_;
    req.ifa.ifa_family = AF_INET;
    req.ifa.ifa_prefixlen = static_cast<unsigned char>(prefix);
    req.ifa.ifa_scope = RT_SCOPE_UNIVERSE;
    req.ifa.ifa_index = static_cast<unsigned>(ifindex);
    auto put = [&req](unsigned short type, const void* data, size_t len) {
      auto* rta = reinterpret_cast<rtattr*>(reinterpret_cast<char*>(&req) + NLMSG_ALIGN(req.nh.nlmsg_len));
      rta->rta_type = type;
      rta->rta_len = static_cast<unsigned short>(RTA_LENGTH(len));
      std::memcpy(RTA_DATA(rta), data, len);
      req.nh.nlmsg_len = NLMSG_ALIGN(req.nh.nlmsg_len) + RTA_ALIGN(rta->rta_len);
    };
    put(IFA_LOCAL, &addr, sizeof addr);
    if (add) put(IFA_ADDRESS, &addr, sizeof addr);
    if (add && !label.empty()) put(IFA_LABEL, label.c_str(), label.size() + 1);

    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    ssize_t n;
    do n = sendto(fd_, &req, req.nh.nlmsg_len, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel);
    while (n < 0 && errno == EINTR);
    if (n < 0) return ThrowErrno(env, "rtnetlink send", errno);

    // Read until our ack: an ack of an earlier request whose recv timed out may come first.
    alignas(nlmsghdr) char buf[4096];
    for (;;) {
      do n = recv(fd_, buf, sizeof buf, 0);
      while (n < 0 && errno == EINTR);
      if (n < 0) return ThrowErrno(env, "rtnetlink ack", errno == EAGAIN ? ETIMEDOUT : errno);
      int len = static_cast<int>(n);
      for (auto* nh = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(nh, len); nh = NLMSG_NEXT(nh, len)) {
        if (nh->nlmsg_seq != seq_ || nh->nlmsg_type != NLMSG_ERROR) continue;
        if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(nlmsgerr))) return ThrowErrno(env, "rtnetlink ack", EBADMSG);
        int error = -reinterpret_cast<nlmsgerr*>(NLMSG_DATA(nh))->error;
        if (error != 0) return ThrowErrno(env, add ? "RTM_NEWADDR" : "RTM_DELADDR", error);
        return env.Undefined();
      }
    }
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
    return info.Env().Undefined();
  }

  int fd_ = -1;
  unsigned seq_ = 0;
};

// sd_notify(3) protocol: one datagram to $NOTIFY_SOCKET; a leading '@' means the Linux abstract
// namespace (first sun_path byte NUL, no terminator counted in the address length).
Napi::Value SdNotify(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) {
    Napi::TypeError::New(env, "sdNotify(state: string)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string state = info[0].As<Napi::String>();
  const char* path = std::getenv("NOTIFY_SOCKET");
  if (path == nullptr || path[0] == '\0') return Napi::Boolean::New(env, false);
  size_t len = std::strlen(path);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if ((path[0] != '/' && path[0] != '@') || len >= sizeof addr.sun_path)
    return ThrowErrno(env, std::string("NOTIFY_SOCKET ") + path, EAFNOSUPPORT);
  std::memcpy(addr.sun_path, path, len);
  if (path[0] == '@') addr.sun_path[0] = '\0';
  socklen_t addrlen = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + len + (path[0] == '/' ? 1 : 0));

  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return ThrowErrno(env, "socket(AF_UNIX)", errno);
  ssize_t n = sendto(fd, state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&addr), addrlen);
  int e = errno;
  close(fd);
  if (n < 0) return ThrowErrno(env, std::string("sendto ") + path, e);
  return Napi::Boolean::New(env, true);
}

// openlog(3) keeps the ident pointer, not a copy: the string must outlive every later syslog()
// call. Each ident is duplicated and deliberately never freed (openlog runs once or twice per
// process), so a second openlog cannot leave libc pointing at freed memory.
Napi::Value OpenLog(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsNumber()) {
    Napi::TypeError::New(env, "openlog(ident: string, facility: number)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string ident = info[0].As<Napi::String>();
  char* kept = strdup(ident.c_str());
  if (kept == nullptr) return ThrowErrno(env, "openlog", ENOMEM);
  // LOG_PID as keepalived does: lines read `Keepalived_vrrp[pid]: ...` (reference §3.12).
  openlog(kept, LOG_PID, info[1].As<Napi::Number>().Int32Value());
  return env.Undefined();
}

Napi::Value Syslog(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsString()) {
    Napi::TypeError::New(env, "syslog(priority: number, message: string)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string message = info[1].As<Napi::String>();
  // "%s": the message is data, never a format string.
  syslog(info[0].As<Napi::Number>().Int32Value(), "%s", message.c_str());
  return env.Undefined();
}

// F_GETFD/F_SETFD by syscall(): glibc 2.28+ headers turn fcntl() into fcntl64@GLIBC_2.28, above the
// addon's GLIBC_2.17 floor (reference/node-deps.md).
int FdFlags(int fd) { return static_cast<int>(syscall(SYS_fcntl, fd, F_GETFD)); }
int SetFdFlags(int fd, int flags) { return static_cast<int>(syscall(SYS_fcntl, fd, F_SETFD, flags)); }

// Calls visit(fd) for every open descriptor >= minFd, from /proc/self/fd; without /proc (a bare
// chroot) by asking fcntl about every number below the soft RLIMIT_NOFILE (at most 2^20). visit may
// change the descriptor's flags, not close it. False (errno set) only when neither way works.
template <typename Visit>
bool ForEachOpenFd(int minFd, Visit visit) {
  DIR* dir = opendir("/proc/self/fd");  // O_CLOEXEC, and skipped below
  if (dir != nullptr) {
    int own = dirfd(dir);
    while (dirent* entry = readdir(dir)) {
      char* end = nullptr;
      long fd = std::strtol(entry->d_name, &end, 10);
      if (end == entry->d_name || *end != '\0' || fd < minFd || fd == own || fd > 0x7fffffff) continue;
      visit(static_cast<int>(fd));
    }
    closedir(dir);
    return true;
  }
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return false;
  rlim_t last = limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur > (1u << 20) ? (1u << 20) : limit.rlim_cur;
  for (rlim_t fd = static_cast<rlim_t>(minFd < 0 ? 0 : minFd); fd < last; fd++)
    if (FdFlags(static_cast<int>(fd)) >= 0) visit(static_cast<int>(fd));
  return true;
}

// cloexec(minFd): number[] (the descriptors it marked FD_CLOEXEC).
Napi::Value Cloexec(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    Napi::TypeError::New(env, "cloexec(minFd: number)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int minFd = info[0].As<Napi::Number>().Int32Value();
  Napi::Array marked = Napi::Array::New(env);
  int failed = 0;
  bool listed = ForEachOpenFd(minFd, [&](int fd) {
    int flags = FdFlags(fd);
    if (flags < 0 || (flags & FD_CLOEXEC) != 0) return;
    if (SetFdFlags(fd, flags | FD_CLOEXEC) != 0) {
      failed = errno;
      return;
    }
    marked.Set(marked.Length(), Napi::Number::New(env, fd));
  });
  if (!listed) return ThrowErrno(env, "cloexec: cannot list open descriptors", errno);
  if (failed != 0) return ThrowErrno(env, "cloexec: F_SETFD", failed);
  return marked;
}

// By number: glibc has the close_range() wrapper only from 2.34. 436 on every architecture (the
// syscall table is shared from 424 on).
#ifndef __NR_close_range
#define __NR_close_range 436
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

// cloexecRange(minFd): boolean. False: not supported here (ENOSYS before 5.9, EINVAL for the flag
// before 5.11, EPERM from a seccomp filter that does not know the call).
Napi::Value CloexecRange(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    Napi::TypeError::New(env, "cloexecRange(minFd: number)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  unsigned int minFd = info[0].As<Napi::Number>().Uint32Value();
  if (syscall(__NR_close_range, minFd, ~0U, CLOSE_RANGE_CLOEXEC) == 0) return Napi::Boolean::New(env, true);
  if (errno == ENOSYS || errno == EINVAL || errno == EPERM) return Napi::Boolean::New(env, false);
  return ThrowErrno(env, "close_range", errno);
}

// true: we hold the lock now; false: another open file description holds it (EWOULDBLOCK).
Napi::Value Flock(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    Napi::TypeError::New(env, "flock(fd: number)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int fd = info[0].As<Napi::Number>().Int32Value();
  int rc;
  do rc = flock(fd, LOCK_EX | LOCK_NB);
  while (rc < 0 && errno == EINTR);
  if (rc == 0) return Napi::Boolean::New(env, true);
  if (errno == EWOULDBLOCK) return Napi::Boolean::New(env, false);
  return ThrowErrno(env, "flock", errno);
}

Napi::Value PeerCred(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    Napi::TypeError::New(env, "peerCred(fd: number)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int fd = info[0].As<Napi::Number>().Int32Value();
  struct ucred cred;
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) return ThrowErrno(env, "getsockopt(SO_PEERCRED)", errno);
  Napi::Object out = Napi::Object::New(env);
  out.Set("pid", Napi::Number::New(env, cred.pid));
  out.Set("uid", Napi::Number::New(env, cred.uid));
  out.Set("gid", Napi::Number::New(env, cred.gid));
  return out;
}

Napi::Value SigRtMin(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), SIGRTMIN);
}

// One signal caught with a uv_signal_t on the loop Node runs on, so the JS callback runs on the
// main thread between other events, like process.on('SIGUSR2'). The handle is unref'd (a watcher
// alone does not keep the daemon alive) and freed by uv_close's callback, after the loop is done
// with it: close() or the JS object's collection closes it, whichever comes first.
class SignalWatcher : public Napi::ObjectWrap<SignalWatcher> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "SignalWatcher", {InstanceMethod("close", &SignalWatcher::Close)});
  }

  explicit SignalWatcher(const Napi::CallbackInfo& info) : Napi::ObjectWrap<SignalWatcher>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsFunction()) {
      Napi::TypeError::New(env, "new SignalWatcher(signum: number, callback: (signum) => void)").ThrowAsJavaScriptException();
      return;
    }
    int signum = info[0].As<Napi::Number>().Int32Value();
    if (signum <= 0 || signum >= NSIG || signum == SIGKILL || signum == SIGSTOP) {
      ThrowErrno(env, "signal " + std::to_string(signum), EINVAL);
      return;
    }
    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) {
      ThrowErrno(env, "napi_get_uv_event_loop", EINVAL);
      return;
    }
    auto* handle = new uv_signal_t;
    int rc = uv_signal_init(loop, handle);
    if (rc != 0) {
      delete handle;
      ThrowErrno(env, "uv_signal_init", -rc);
      return;
    }
    handle->data = this;
    rc = uv_signal_start(handle, &SignalWatcher::OnSignal, signum);
    if (rc != 0) {
      handle->data = nullptr;
      uv_close(reinterpret_cast<uv_handle_t*>(handle), &SignalWatcher::Free);
      ThrowErrno(env, "uv_signal_start " + std::to_string(signum), -rc);
      return;
    }
    uv_unref(reinterpret_cast<uv_handle_t*>(handle));
    handle_ = handle;
    env_ = env;
    callback_ = Napi::Persistent(info[1].As<Napi::Function>());
  }

  ~SignalWatcher() override { Stop(); }

 private:
  static void Free(uv_handle_t* handle) { delete reinterpret_cast<uv_signal_t*>(handle); }

  static void OnSignal(uv_signal_t* handle, int signum) {
    auto* self = static_cast<SignalWatcher*>(handle->data);
    if (self == nullptr || self->callback_.IsEmpty()) return;
    Napi::Env env(self->env_);
    Napi::HandleScope scope(env);
    // MakeCallback, not Call: from a bare uv callback it also runs the microtask queue afterwards.
    self->callback_.MakeCallback(env.Global(), {Napi::Number::New(env, signum)});
    // With NAPI_DISABLE_CPP_EXCEPTIONS a throwing callback leaves a pending exception; hand it to
    // Node as an uncaught one (the daemon logs those and runs on).
    if (env.IsExceptionPending()) {
      Napi::Error e = env.GetAndClearPendingException();
      napi_fatal_exception(env, e.Value());
    }
  }

  void Stop() {
    if (handle_ == nullptr) return;
    uv_signal_stop(handle_);
    handle_->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(handle_), &SignalWatcher::Free);
    handle_ = nullptr;
    if (!callback_.IsEmpty()) callback_.Reset();
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Stop();
    return info.Env().Undefined();
  }

  uv_signal_t* handle_ = nullptr;
  napi_env env_ = nullptr;
  Napi::FunctionReference callback_;
};

double MonotonicNowMs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

// CLOCK_MONOTONIC in ms (fractional): the clock TimerFd deadlines are in. Node's performance.now()
// runs on the same clock (uv_hrtime) from a different origin; the caller measures the offset.
Napi::Value MonotonicMs(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), MonotonicNowMs()); }

// spinUntil(ms): busy-wait until CLOCK_MONOTONIC reaches ms (at most 2 ms from now). The last
// stretch to a precise deadline, after an early wakeup: a JS loop on performance.now() allocates
// and gets compiled mid-loop, and was seen held up ~1 ms; this one does neither.
Napi::Value SpinUntil(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    Napi::TypeError::New(env, "spinUntil(ms: number)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  double until = info[0].As<Napi::Number>().DoubleValue();
  double now = MonotonicNowMs();
  if (std::isfinite(until) && until - now <= 2) {
    while (now < until) now = MonotonicNowMs();
  }
  return Napi::Number::New(env, now);
}

// One CLOCK_MONOTONIC timerfd watched by uv_poll on Node's loop, armed at absolute deadlines
// (TFD_TIMER_ABSTIME, so the time between computing and arming is not added); `fired(owner)` runs
// on the main thread in the loop's poll phase once the deadline has passed. Disarming or re-arming
// before then makes the pending read fail with EAGAIN, and then nothing is called: a stale expiry
// never fires. The handle is referenced only while armed, like a pending setTimeout.
class LoopTimer {
 public:
  using Fired = void (*)(void* owner);

  // False with a JS exception pending in env.
  bool Open(Napi::Env env, Fired fired, void* owner) {
    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) {
      ThrowErrno(env, "napi_get_uv_event_loop", EINVAL);
      return false;
    }
    fd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (fd_ < 0) {
      ThrowErrno(env, "timerfd_create", errno);
      return false;
    }
    auto* handle = new uv_poll_t;
    int rc = uv_poll_init(loop, handle, fd_);
    if (rc == 0) rc = uv_poll_start(handle, UV_READABLE, &LoopTimer::OnReadable);
    if (rc != 0) {
      close(fd_);
      fd_ = -1;
      handle->data = nullptr;
      uv_close(reinterpret_cast<uv_handle_t*>(handle), &LoopTimer::Free);
      ThrowErrno(env, "uv_poll_start(timerfd)", -rc);
      return false;
    }
    handle->data = this;
    uv_unref(reinterpret_cast<uv_handle_t*>(handle));
    handle_ = handle;
    fired_ = fired;
    owner_ = owner;
    return true;
  }

  bool IsOpen() const { return fd_ >= 0; }

  // A past deadline fires on the next poll. False with errno set.
  bool ArmAt(double ms) {
    if (fd_ < 0) {
      errno = EBADF;
      return false;
    }
    itimerspec spec{};
    if (ms > 0) {
      double sec = std::floor(ms / 1e3);
      spec.it_value.tv_sec = static_cast<time_t>(sec);
      spec.it_value.tv_nsec = static_cast<long>((ms - sec * 1e3) * 1e6);
      if (spec.it_value.tv_nsec >= 1000000000L) spec.it_value.tv_nsec = 999999999L;
      // All zeros would disarm: a deadline at the clock's origin is long past, 1 ns fires at once.
      if (spec.it_value.tv_sec == 0 && spec.it_value.tv_nsec == 0) spec.it_value.tv_nsec = 1;
    } else {
      spec.it_value.tv_nsec = 1;
    }
    if (timerfd_settime(fd_, TFD_TIMER_ABSTIME, &spec, nullptr) != 0) return false;
    uv_ref(reinterpret_cast<uv_handle_t*>(handle_));
    return true;
  }

  void Disarm() {
    if (fd_ < 0) return;
    itimerspec off{};
    timerfd_settime(fd_, TFD_TIMER_ABSTIME, &off, nullptr);
    uint64_t drained = 0;
    if (read(fd_, &drained, sizeof drained) < 0) drained = 0;  // an expiry not yet read: gone
    uv_unref(reinterpret_cast<uv_handle_t*>(handle_));
  }

  void Close() {
    if (handle_ == nullptr) return;
    uv_poll_stop(handle_);
    handle_->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(handle_), &LoopTimer::Free);
    handle_ = nullptr;
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  static void Free(uv_handle_t* handle) { delete reinterpret_cast<uv_poll_t*>(handle); }

  static void OnReadable(uv_poll_t* handle, int status, int /*events*/) {
    auto* self = static_cast<LoopTimer*>(handle->data);
    if (self == nullptr || self->fd_ < 0 || status < 0) return;
    uint64_t expirations = 0;
    if (read(self->fd_, &expirations, sizeof expirations) != sizeof expirations) return;  // re-armed meanwhile
    uv_unref(reinterpret_cast<uv_handle_t*>(handle));
    self->fired_(self->owner_);
  }

  int fd_ = -1;
  uv_poll_t* handle_ = nullptr;
  Fired fired_ = nullptr;
  void* owner_ = nullptr;
};

// Calls `callback` with `args` from the loop (MakeCallback: microtasks and nextTicks run after it);
// an exception in it is the process's uncaught exception, as in any Node callback.
void CallFromLoop(napi_env rawEnv, const Napi::FunctionReference& callback, const std::initializer_list<napi_value>& args) {
  Napi::Env env(rawEnv);
  callback.MakeCallback(env.Global(), args);
  if (env.IsExceptionPending()) {
    Napi::Error e = env.GetAndClearPendingException();
    napi_fatal_exception(env, e.Value());
  }
}

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
// The wrapper holds itself (Ref) while open: a socket nothing in JS points to keeps receiving until
// close(), unlike a weak wrap whose fd the garbage collector closes under a pending read.
class RawReceiver : public Napi::ObjectWrap<RawReceiver> {
 public:
  static constexpr int kMaxPerWake = 32;

  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "RawReceiver",
                       {InstanceMethod("join", &RawReceiver::Join), InstanceMethod("close", &RawReceiver::Close),
                        StaticValue("maxPerWake", Napi::Number::New(env, kMaxPerWake))});
  }

  explicit RawReceiver(const Napi::CallbackInfo& info) : Napi::ObjectWrap<RawReceiver>(info) {
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
    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) {
      ThrowErrno(env, "napi_get_uv_event_loop", EINVAL);
      return;
    }
    fd_ = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, kIpprotoVrrp);
    if (fd_ < 0) {
      ThrowErrno(env, "socket(IPPROTO_VRRP)", errno);
      return;
    }
    // keepalived's receive socket options (reference §3.1): only what arrives on this interface
    // (a raw socket reports no ingress ifindex), and only the groups this socket joined (without
    // IP_MULTICAST_ALL 0 it also gets every group any other socket on the host joined).
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
    auto* handle = new uv_poll_t;
    int rc = uv_poll_init(loop, handle, fd_);
    if (rc == 0) rc = uv_poll_start(handle, UV_READABLE, &RawReceiver::OnReadable);
    if (rc != 0) {
      handle->data = nullptr;
      uv_close(reinterpret_cast<uv_handle_t*>(handle), &RawReceiver::Free);
      CloseFd();
      ThrowErrno(env, "uv_poll_start(VRRP socket)", -rc);
      return;
    }
    handle->data = this;
    handle_ = handle;
    buffer_.resize(65535);  // the largest IPv4 datagram: nothing is ever truncated
    env_ = env;
    onDatagrams_ = Napi::Persistent(info[2].As<Napi::Function>());
    onError_ = Napi::Persistent(info[3].As<Napi::Function>());
    Ref();
    held_ = true;
  }

  ~RawReceiver() override {
    held_ = false;  // being finalized: nothing to release
    Stop();
  }

 private:
  static constexpr int kIpprotoVrrp = 112;

  static void Free(uv_handle_t* handle) { delete reinterpret_cast<uv_poll_t*>(handle); }

  static void OnReadable(uv_poll_t* handle, int status, int /*events*/) {
    auto* self = static_cast<RawReceiver*>(handle->data);
    if (self != nullptr) self->Drain(status);
  }

  static bool Fatal(int e) { return e == EBADF || e == ENOTSOCK || e == EFAULT || e == EINVAL; }

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
    Napi::Error error = Napi::Error::New(env, std::string(status < 0 ? "poll" : "recvfrom") + ": " + std::strerror(fatal));
    error.Set("errno", Napi::Number::New(env, fatal));
    Napi::FunctionReference onError = std::move(onError_);
    Stop();
    if (!onError.IsEmpty()) CallFromLoop(env_, onError, {error.Value()});
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

  void CloseFd() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

  // Datagrams still queued are dropped with the socket; the uv handle is freed by uv_close's callback.
  void Stop() {
    if (handle_ != nullptr) {
      uv_poll_stop(handle_);
      handle_->data = nullptr;
      uv_close(reinterpret_cast<uv_handle_t*>(handle_), &RawReceiver::Free);
      handle_ = nullptr;
    }
    CloseFd();
    if (!onDatagrams_.IsEmpty()) onDatagrams_.Reset();
    if (!onError_.IsEmpty()) onError_.Reset();
    if (held_) {
      held_ = false;
      Unref();
    }
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Stop();
    return info.Env().Undefined();
  }

  int fd_ = -1;
  int ifindex_ = 0;
  bool held_ = false;
  uv_poll_t* handle_ = nullptr;
  std::vector<uint8_t> buffer_;
  napi_env env_ = nullptr;
  Napi::FunctionReference onDatagrams_;
  Napi::FunctionReference onError_;
};

// The scheduler's wakeup (src/net/clock.ts): arm(ms) at an absolute CLOCK_MONOTONIC deadline,
// the callback once it has passed.
class TimerFd : public Napi::ObjectWrap<TimerFd> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "TimerFd",
                       {InstanceMethod("arm", &TimerFd::Arm), InstanceMethod("disarm", &TimerFd::Disarm),
                        InstanceMethod("close", &TimerFd::Close)});
  }

  explicit TimerFd(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TimerFd>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsFunction()) {
      Napi::TypeError::New(env, "new TimerFd(callback: () => void)").ThrowAsJavaScriptException();
      return;
    }
    if (!timer_.Open(env, &TimerFd::Fired, this)) return;
    env_ = env;
    callback_ = Napi::Persistent(info[0].As<Napi::Function>());
  }

  ~TimerFd() override { Stop(); }

 private:
  static void Fired(void* owner) {
    auto* self = static_cast<TimerFd*>(owner);
    if (self->callback_.IsEmpty()) return;
    Napi::Env env(self->env_);
    Napi::HandleScope scope(env);
    CallFromLoop(self->env_, self->callback_, {});
  }

  // arm(deadline: number): absolute CLOCK_MONOTONIC ms; a past deadline fires on the next poll.
  Napi::Value Arm(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsNumber()) {
      Napi::TypeError::New(env, "arm(deadlineMs: number)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (!timer_.IsOpen()) return ThrowErrno(env, "timerfd arm", EBADF);
    double ms = info[0].As<Napi::Number>().DoubleValue();
    if (!std::isfinite(ms)) return ThrowErrno(env, "timerfd arm", EINVAL);
    if (!timer_.ArmAt(ms)) return ThrowErrno(env, "timerfd_settime", errno);
    return env.Undefined();
  }

  Napi::Value Disarm(const Napi::CallbackInfo& info) {
    timer_.Disarm();
    return info.Env().Undefined();
  }

  void Stop() {
    timer_.Close();
    if (!callback_.IsEmpty()) callback_.Reset();
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Stop();
    return info.Env().Undefined();
  }

  LoopTimer timer_;
  napi_env env_ = nullptr;
  Napi::FunctionReference callback_;
};

// The steady MASTER's periodic advert, sent without waking JavaScript (src/net/repeater.ts).
// When the core's answer to an Adver_Timer was "send this advert, fire again one interval after
// the deadline that fired" and the instance's state did not change, every later firing gets the
// same answer until some other event comes; the instance then hands the datagram here, and takes
// it back (stop) before it steps any other event. For a Node process the wake-up into JS is the
// dearest part of an advert (README "Performance"); here a due advert costs the timerfd read, an
// id patch and one sendto().
//   start(key, sender, datagram, dst, firstMs, periodMs, ipId)  absolute CLOCK_MONOTONIC ms;
//       every advert increments the IP id first (never 0, as packet.ts nextIpId) and patches it
//       and the header checksum into the datagram (as packet.ts setIpId).
//   stop(key) / progress(key) -> [sent, nextMs, ipId] | undefined  (stop removes the entry)
//   callback(key, nextMs, sent, ipId)  the entry gave itself back, already removed: a send failed
//       or the loop was held up a whole period. nextMs is then the advert NOT sent, for the
//       instance's own path to send (and report) as it would have.
class AdvertRepeater : public Napi::ObjectWrap<AdvertRepeater> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "AdvertRepeater",
                       {InstanceMethod("start", &AdvertRepeater::Start), InstanceMethod("stop", &AdvertRepeater::Stop),
                        InstanceMethod("progress", &AdvertRepeater::Progress),
                        InstanceMethod("close", &AdvertRepeater::Close)});
  }

  explicit AdvertRepeater(const Napi::CallbackInfo& info) : Napi::ObjectWrap<AdvertRepeater>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsFunction()) {
      Napi::TypeError::New(env, "new AdvertRepeater(callback: (key, nextMs, sent, ipId) => void)").ThrowAsJavaScriptException();
      return;
    }
    if (!timer_.Open(env, &AdvertRepeater::Fired, this)) return;
    env_ = env;
    callback_ = Napi::Persistent(info[0].As<Napi::Function>());
  }

  ~AdvertRepeater() override { Shutdown(); }

 private:
  struct Entry {
    uint64_t generation = 0;
    RawSender* sender = nullptr;
    Napi::ObjectReference senderRef;  // keeps the sender's wrapper (and so its fd) alive
    sockaddr_in to{};
    std::vector<uint8_t> datagram;
    double next = 0;
    double period = 0;
    double sent = 0;
    uint16_t ipId = 0;
  };
  // One heap slot per armed deadline; a slot whose entry was stopped or restarted since is stale
  // (its generation or deadline no longer match) and skipped when it comes up.
  struct Slot {
    double at;
    uint64_t order;
    uint32_t key;
    uint64_t generation;
    bool operator>(const Slot& o) const { return at > o.at || (at == o.at && order > o.order); }
  };
  struct GiveBack {
    uint32_t key;
    double next;
    double sent;
    uint16_t ipId;
  };

  static uint16_t HeaderChecksum(const uint8_t* header, size_t length) {
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < length; i += 2) sum += static_cast<uint32_t>(header[i] << 8 | header[i + 1]);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(~sum);
  }

  // One advert: the next IP id (never 0: the kernel would fill one in), the header checksum, sendto.
  static bool SendOne(Entry& e) {
    if (e.sender->fd_ < 0) return false;
    uint16_t id = static_cast<uint16_t>(e.ipId + 1);
    if (id == 0) id = 1;
    uint8_t* header = e.datagram.data();
    size_t headerLength = static_cast<size_t>(header[0] & 0x0f) * 4;
    header[4] = static_cast<uint8_t>(id >> 8);
    header[5] = static_cast<uint8_t>(id);
    header[10] = header[11] = 0;
    uint16_t check = HeaderChecksum(header, headerLength);
    header[10] = static_cast<uint8_t>(check >> 8);
    header[11] = static_cast<uint8_t>(check);
    ssize_t n;
    do n = sendto(e.sender->fd_, header, e.datagram.size(), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&e.to), sizeof e.to);
    while (n < 0 && errno == EINTR);
    if (n < 0) return false;
    e.ipId = id;
    e.sent += 1;
    return true;
  }

  static void Fired(void* owner) { static_cast<AdvertRepeater*>(owner)->RunDue(); }

  void RunDue() {
    double now = MonotonicNowMs();
    std::vector<GiveBack> givenBack;
    while (!heap_.empty() && heap_.top().at <= now) {
      Slot slot = heap_.top();
      heap_.pop();
      auto it = entries_.find(slot.key);
      if (it == entries_.end() || it->second.generation != slot.generation || it->second.next != slot.at) continue;
      Entry& e = it->second;
      // Held up a whole period (a stopped process, a stalled loop): no longer the steady state the
      // core handed over; its own path decides when the next advert goes.
      bool stalled = now >= e.next + e.period;
      if (stalled || !SendOne(e)) {
        givenBack.push_back({slot.key, e.next, e.sent, e.ipId});
        entries_.erase(it);
        continue;
      }
      e.next += e.period;
      heap_.push({e.next, order_++, slot.key, e.generation});
    }
    Rearm();
    if (givenBack.empty() || callback_.IsEmpty()) return;
    Napi::Env env(env_);
    Napi::HandleScope scope(env);
    for (const GiveBack& g : givenBack) {
      CallFromLoop(env_, callback_, {Napi::Number::New(env, g.key), Napi::Number::New(env, g.next),
                                     Napi::Number::New(env, g.sent), Napi::Number::New(env, g.ipId)});
    }
  }

  // The timerfd for the earliest live slot (stale ones on top are dropped), disarmed when none.
  void Rearm() {
    while (!heap_.empty()) {
      const Slot& top = heap_.top();
      auto it = entries_.find(top.key);
      if (it != entries_.end() && it->second.generation == top.generation && it->second.next == top.at) break;
      heap_.pop();
    }
    if (heap_.empty()) timer_.Disarm();
    else timer_.ArmAt(heap_.top().at);  // cannot fail on an open timerfd with a finite deadline
  }

  Napi::Value Start(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 7 || !info[0].IsNumber() || !info[1].IsObject() || !info[2].IsBuffer() || !info[3].IsString() ||
        !info[4].IsNumber() || !info[5].IsNumber() || !info[6].IsNumber()) {
      Napi::TypeError::New(env, "start(key, sender: RawSender, datagram: Buffer, dst: string, firstMs, periodMs, ipId)")
          .ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (!timer_.IsOpen()) return ThrowErrno(env, "repeater start", EBADF);
    Napi::Object senderObject = info[1].As<Napi::Object>();
    if (rawSenderConstructor == nullptr || !senderObject.InstanceOf(rawSenderConstructor->Value())) {
      Napi::TypeError::New(env, "start: sender is not a RawSender").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    auto datagram = info[2].As<Napi::Buffer<uint8_t>>();
    if (datagram.Length() < 20 || datagram.Length() < static_cast<size_t>(datagram.Data()[0] & 0x0f) * 4 ||
        (datagram.Data()[0] & 0x0f) < 5)
      return ThrowErrno(env, "repeater start: not an IPv4 datagram", EINVAL);
    std::string dst = info[3].As<Napi::String>();
    double first = info[4].As<Napi::Number>().DoubleValue();
    double period = info[5].As<Napi::Number>().DoubleValue();
    double ipId = info[6].As<Napi::Number>().DoubleValue();
    if (!std::isfinite(first) || !std::isfinite(period) || period < 1 || !(ipId >= 0 && ipId <= 0xffff))
      return ThrowErrno(env, "repeater start", EINVAL);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    if (inet_pton(AF_INET, dst.c_str(), &to.sin_addr) != 1) return ThrowErrno(env, "repeater start: send to " + dst, EINVAL);
    uint32_t key = info[0].As<Napi::Number>().Uint32Value();
    Entry& e = entries_[key];  // a key already running starts over
    e.to = to;
    e.generation = ++generations_;
    e.sender = RawSender::Unwrap(senderObject);
    e.senderRef = Napi::Persistent(senderObject);
    e.datagram.assign(datagram.Data(), datagram.Data() + datagram.Length());
    e.next = first;
    e.period = period;
    e.sent = 0;
    e.ipId = static_cast<uint16_t>(ipId);
    heap_.push({first, order_++, key, e.generation});
    Rearm();
    return env.Undefined();
  }

  Napi::Value Report(Napi::Env env, const Entry& e) {
    Napi::Array out = Napi::Array::New(env, 3);
    out.Set(0u, Napi::Number::New(env, e.sent));
    out.Set(1u, Napi::Number::New(env, e.next));
    out.Set(2u, Napi::Number::New(env, e.ipId));
    return out;
  }

  Napi::Value Stop(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsNumber()) {
      Napi::TypeError::New(env, "stop(key: number)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    auto it = entries_.find(info[0].As<Napi::Number>().Uint32Value());
    if (it == entries_.end()) return env.Undefined();
    Napi::Value report = Report(env, it->second);
    entries_.erase(it);
    Rearm();
    return report;
  }

  Napi::Value Progress(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsNumber()) {
      Napi::TypeError::New(env, "progress(key: number)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    auto it = entries_.find(info[0].As<Napi::Number>().Uint32Value());
    return it == entries_.end() ? env.Undefined() : Report(env, it->second);
  }

  void Shutdown() {
    entries_.clear();
    heap_ = {};
    timer_.Close();
    if (!callback_.IsEmpty()) callback_.Reset();
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Shutdown();
    return info.Env().Undefined();
  }

  LoopTimer timer_;
  napi_env env_ = nullptr;
  Napi::FunctionReference callback_;
  std::unordered_map<uint32_t, Entry> entries_;
  std::priority_queue<Slot, std::vector<Slot>, std::greater<Slot>> heap_;
  uint64_t order_ = 0;
  uint64_t generations_ = 0;
};

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  RegisterJournal(env, exports);
  exports.Set("ifInfo", Napi::Function::New(env, IfInfo, "ifInfo"));
  exports.Set("PacketSocket", PacketSocket::Define(env));
  Napi::Function rawSender = RawSender::Define(env);
  rawSenderConstructor = new Napi::FunctionReference(Napi::Persistent(rawSender));
  exports.Set("RawSender", rawSender);
  exports.Set("RawReceiver", RawReceiver::Define(env));
  exports.Set("NetlinkRoute", NetlinkRoute::Define(env));
  exports.Set("sdNotify", Napi::Function::New(env, SdNotify, "sdNotify"));
  exports.Set("openlog", Napi::Function::New(env, OpenLog, "openlog"));
  exports.Set("syslog", Napi::Function::New(env, Syslog, "syslog"));
  exports.Set("cloexec", Napi::Function::New(env, Cloexec, "cloexec"));
  exports.Set("cloexecRange", Napi::Function::New(env, CloexecRange, "cloexecRange"));
  exports.Set("flock", Napi::Function::New(env, Flock, "flock"));
  exports.Set("peerCred", Napi::Function::New(env, PeerCred, "peerCred"));
  exports.Set("sigrtmin", Napi::Function::New(env, SigRtMin, "sigrtmin"));
  exports.Set("SignalWatcher", SignalWatcher::Define(env));
  exports.Set("monotonicMs", Napi::Function::New(env, MonotonicMs, "monotonicMs"));
  exports.Set("spinUntil", Napi::Function::New(env, SpinUntil, "spinUntil"));
  exports.Set("TimerFd", TimerFd::Define(env));
  exports.Set("AdvertRepeater", AdvertRepeater::Define(env));
  return exports;
}

}  // namespace

NODE_API_MODULE(vrrpd_native, Init)
