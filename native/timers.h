// LoopTimer: one timerfd on Node's loop (timers.cc), shared by TimerFd (the scheduler's wakeup)
// and AdvertRepeater (repeater.cc).
#ifndef VRRPD_NATIVE_TIMERS_H
#define VRRPD_NATIVE_TIMERS_H

#include <napi.h>
#include <uv.h>

namespace vrrpd {

// One CLOCK_MONOTONIC timerfd watched by uv_poll on Node's loop, armed at absolute deadlines
// (TFD_TIMER_ABSTIME, so the time between computing and arming is not added); `fired(owner)` runs
// on the main thread in the loop's poll phase once the deadline has passed. Disarming or re-arming
// before then makes the pending read fail with EAGAIN, and then nothing is called: a stale expiry
// never fires. The handle is referenced only while armed, like a pending setTimeout.
// A poll error (libuv stops a uv_poll handle on EPOLLERR, so it would never fire again) closes the
// timer and calls `failed(owner, errno)` instead: the owner tells JavaScript, which moves to
// another wakeup rather than waiting for one that cannot come.
class LoopTimer {
 public:
  using Fired = void (*)(void* owner);
  using Failed = void (*)(void* owner, int errnum);

  // False with a JS exception pending in env.
  bool Open(Napi::Env env, Fired fired, Failed failed, void* owner);
  bool IsOpen() const { return fd_ >= 0; }
  // A past deadline fires on the next poll. False with errno set.
  bool ArmAt(double ms);
  void Disarm();
  void Close();
  // failForTest(errno) of the owner's JS object: what a poll error does (closes, then
  // failed(owner, errno)), for tests, which cannot make epoll report an error on a timerfd.
  Napi::Value FailForTest(const Napi::CallbackInfo& info);

 private:
  void Fail(int errnum);
  static void Free(uv_handle_t* handle);
  static void OnReadable(uv_poll_t* handle, int status, int events);

  int fd_ = -1;
  uv_poll_t* handle_ = nullptr;
  Fired fired_ = nullptr;
  Failed failed_ = nullptr;
  void* owner_ = nullptr;
};

}  // namespace vrrpd

#endif
