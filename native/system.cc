// System calls Node does not make, each a function:
//   sdNotify(state)       systemd readiness and watchdog without libsystemd (a datagram to
//                         $NOTIFY_SOCKET; Node has no AF_UNIX datagram sockets).
//   openlog/syslog        libc syslog, so log lines land where keepalived's do.
//   cloexec(minFd)        FD_CLOEXEC on every open descriptor >= minFd that lacks it; returns the
//                         fds it marked (what vrrpd inherited, at start-up).
//   cloexecRange(minFd)   the same for every descriptor in one close_range(CLOSE_RANGE_CLOEXEC)
//                         call; false where the kernel lacks it (before 5.11). The guard run before
//                         each child starts (src/host/exec-guard.ts).
//   flock(fd)             flock(LOCK_EX|LOCK_NB) for the pidfile lock: Node has no flock, and the
//                         kernel drops the lock when the process dies, however it dies.
//   peerCred(fd)          SO_PEERCRED of a connected unix socket (pid, uid, gid): the control socket
//                         answers root and the daemon's own uid only; Node cannot read it.
#include "common.h"

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

namespace vrrpd {
namespace {

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
  // LOG_PID as keepalived does: lines read `Keepalived_vrrp[pid]: ...`
  // (docs/reference/keepalived-behaviour.md#log-lines).
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
// addon's GLIBC_2.17 floor (docs/reference/node-runtime.md#glibc-floors).
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

}  // namespace

void RegisterSystem(Napi::Env env, Napi::Object exports) {
  exports.Set("sdNotify", Napi::Function::New(env, SdNotify, "sdNotify"));
  exports.Set("openlog", Napi::Function::New(env, OpenLog, "openlog"));
  exports.Set("syslog", Napi::Function::New(env, Syslog, "syslog"));
  exports.Set("cloexec", Napi::Function::New(env, Cloexec, "cloexec"));
  exports.Set("cloexecRange", Napi::Function::New(env, CloexecRange, "cloexecRange"));
  exports.Set("flock", Napi::Function::New(env, Flock, "flock"));
  exports.Set("peerCred", Napi::Function::New(env, PeerCred, "peerCred"));
}

}  // namespace vrrpd
