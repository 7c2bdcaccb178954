// PolledSocket<T>: what the addon's receiving sockets share (RawReceiver, NetlinkSocket): a
// non-blocking descriptor watched by uv_poll on Node's loop, the two JavaScript callbacks
// (datagrams, error), the wrapper holding itself while open (a socket nothing in JS points to keeps
// receiving until close(), unlike a weak wrap whose descriptor the garbage collector closes under a
// pending read), and the one way to stop: poll handle closed, descriptor closed, callbacks
// released, hold dropped. T drains the socket: OnReadable calls T::Drain(status).
#ifndef VRRPD_NATIVE_POLLED_SOCKET_H
#define VRRPD_NATIVE_POLLED_SOCKET_H

#include "common.h"

#include <cerrno>
#include <cstring>
#include <string>
#include <unistd.h>
#include <uv.h>

namespace vrrpd {

template <typename T>
class PolledSocket : public Napi::ObjectWrap<T> {
 public:
  // The most datagrams one wake-up reads: a flood cannot hold the loop (epoll is level-triggered,
  // what is left is read next turn, after the timers); libuv's own bound for a UDP socket.
  static constexpr int kMaxPerWake = 32;

  ~PolledSocket() override {
    held_ = false;  // being finalized: nothing to release
    Stop();
  }

 protected:
  explicit PolledSocket(const Napi::CallbackInfo& info) : Napi::ObjectWrap<T>(info) {}

  // A read error after which the descriptor is of no more use.
  static bool Fatal(int e) { return e == EBADF || e == ENOTSOCK || e == EFAULT || e == EINVAL; }

  // Watches fd_ (open already) for reading, keeps the callbacks and holds the wrapper. On failure
  // the descriptor is closed, the error thrown, and false returned. `keepsLoop`: whether the
  // handle keeps Node's loop alive from the start.
  bool Watch(Napi::Env env, const std::string& what, const Napi::Value& onDatagrams, const Napi::Value& onError, bool keepsLoop) {
    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) {
      CloseFd();
      ThrowErrno(env, "napi_get_uv_event_loop", EINVAL);
      return false;
    }
    auto* handle = new uv_poll_t;
    int rc = uv_poll_init(loop, handle, fd_);
    if (rc == 0) rc = uv_poll_start(handle, UV_READABLE, &PolledSocket::OnReadable);
    if (rc != 0) {
      handle->data = nullptr;
      uv_close(reinterpret_cast<uv_handle_t*>(handle), &PolledSocket::Free);
      CloseFd();
      ThrowErrno(env, "uv_poll_start(" + what + ")", -rc);
      return false;
    }
    if (!keepsLoop) uv_unref(reinterpret_cast<uv_handle_t*>(handle));
    handle->data = this;
    handle_ = handle;
    env_ = env;
    onDatagrams_ = Napi::Persistent(onDatagrams.As<Napi::Function>());
    onError_ = Napi::Persistent(onError.As<Napi::Function>());
    this->Ref();
    held_ = true;
    return true;
  }

  // Polls again after the loop stopped the handle (libuv stops it on a poll error); 0 or -errno.
  int Rearm() { return handle_ == nullptr ? -EBADF : uv_poll_start(handle_, UV_READABLE, &PolledSocket::OnReadable); }

  // The end of a dead socket: stopped, then onError(Error(text: strerror) with .errno) once.
  void Fail(Napi::Env env, const std::string& text, int errnum) {
    Napi::Error error = Napi::Error::New(env, text + ": " + std::strerror(errnum));
    error.Set("errno", Napi::Number::New(env, errnum));
    Napi::FunctionReference onError = std::move(onError_);
    Stop();
    if (!onError.IsEmpty()) CallFromLoop(env_, onError, {error.Value()});
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
      uv_close(reinterpret_cast<uv_handle_t*>(handle_), &PolledSocket::Free);
      handle_ = nullptr;
    }
    CloseFd();
    if (!onDatagrams_.IsEmpty()) onDatagrams_.Reset();
    if (!onError_.IsEmpty()) onError_.Reset();
    if (held_) {
      held_ = false;
      this->Unref();
    }
  }

  // close(): JavaScript's way to stop.
  Napi::Value Close(const Napi::CallbackInfo& info) {
    Stop();
    return info.Env().Undefined();
  }

  int fd_ = -1;
  uv_poll_t* handle_ = nullptr;
  napi_env env_ = nullptr;
  Napi::FunctionReference onDatagrams_;
  Napi::FunctionReference onError_;

 private:
  static void Free(uv_handle_t* handle) { delete reinterpret_cast<uv_poll_t*>(handle); }

  static void OnReadable(uv_poll_t* handle, int status, int /*events*/) {
    auto* self = static_cast<T*>(static_cast<PolledSocket*>(handle->data));
    if (self != nullptr) self->Drain(status);
  }

  bool held_ = false;
};

}  // namespace vrrpd

#endif
