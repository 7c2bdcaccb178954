// journalSend(path, entry): one datagram of systemd's native journal protocol (an entry already
// encoded by src/log/journal.ts) to journald's socket, /run/systemd/journal/socket. Node has no
// AF_UNIX datagram sockets, so this is the addon's. Never blocks: a full journald queue costs the
// line (EAGAIN), not an advert. Returns 0 or the errno; the socket is opened on the first call and
// kept (close-on-exec, so scripts do not inherit it).
#include "common.h"

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace {

int journalFd = -1;

Napi::Value JournalSend(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsBuffer()) {
    Napi::TypeError::New(env, "journalSend(path: string, entry: Buffer)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string path = info[0].As<Napi::String>();
  Napi::Buffer<char> entry = info[1].As<Napi::Buffer<char>>();
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path) return Napi::Number::New(env, ENAMETOOLONG);
  std::memcpy(addr.sun_path, path.data(), path.size());
  socklen_t addrlen = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + 1);
  if (journalFd < 0) {
    journalFd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (journalFd < 0) return Napi::Number::New(env, errno);
  }
  ssize_t n = sendto(journalFd, entry.Data(), entry.Length(), MSG_NOSIGNAL | MSG_DONTWAIT,
                     reinterpret_cast<sockaddr*>(&addr), addrlen);
  return Napi::Number::New(env, n < 0 ? errno : 0);
}

}  // namespace

namespace vrrpd {

void RegisterJournal(Napi::Env env, Napi::Object exports) {
  exports.Set("journalSend", Napi::Function::New(env, JournalSend, "journalSend"));
}

}  // namespace vrrpd
