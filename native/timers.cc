// The protocol timers' clock and wakeup (src/timers/clock.ts; src/timers/scheduler.ts keeps the
// deadlines in a heap).
//   TimerFd(fn)     one CLOCK_MONOTONIC timerfd armed at absolute deadlines (sub-ms) and watched by
//                   uv_poll: libuv's own timers are whole ms on a cached loop time, so they fire up
//                   to ~1 ms late; the scheduler arms this one fd for its earliest deadline.
//   monotonicMs()   CLOCK_MONOTONIC now, the deadlines' clock.
//   spinUntil(ms)   waits out the last stretch to a precise deadline in C.
// LoopTimer (timers.h) is the timerfd on the loop; AdvertRepeater (repeater.cc) has one too.
#include "timers.h"

#include "common.h"

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <ctime>
#include <sys/timerfd.h>
#include <unistd.h>

#include <utility>

namespace vrrpd {

bool LoopTimer::Open(Napi::Env env, Fired fired, Failed failed, void* owner) {
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
  failed_ = failed;
  owner_ = owner;
  return true;
}

bool LoopTimer::ArmAt(double ms) {
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

void LoopTimer::Disarm() {
  if (fd_ < 0) return;
  itimerspec off{};
  timerfd_settime(fd_, TFD_TIMER_ABSTIME, &off, nullptr);
  uint64_t drained = 0;
  if (read(fd_, &drained, sizeof drained) < 0) drained = 0;  // an expiry not yet read: gone
  uv_unref(reinterpret_cast<uv_handle_t*>(handle_));
}

void LoopTimer::Close() {
  if (handle_ == nullptr) return;
  uv_poll_stop(handle_);
  handle_->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(handle_), &LoopTimer::Free);
  handle_ = nullptr;
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

Napi::Value LoopTimer::FailForTest(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    Napi::TypeError::New(env, "failForTest(errno: number)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Fail(info[0].As<Napi::Number>().Int32Value());
  return env.Undefined();
}

void LoopTimer::Fail(int errnum) {
  if (handle_ == nullptr) return;
  Close();
  failed_(owner_, errnum);
}

void LoopTimer::Free(uv_handle_t* handle) { delete reinterpret_cast<uv_poll_t*>(handle); }

void LoopTimer::OnReadable(uv_poll_t* handle, int status, int /*events*/) {
  auto* self = static_cast<LoopTimer*>(handle->data);
  if (self == nullptr || self->fd_ < 0) return;
  if (status < 0) return self->Fail(-status);
  uint64_t expirations = 0;
  if (read(self->fd_, &expirations, sizeof expirations) != sizeof expirations) return;  // re-armed meanwhile
  uv_unref(reinterpret_cast<uv_handle_t*>(handle));
  self->fired_(self->owner_);
}

namespace {

// monotonicMs(): CLOCK_MONOTONIC in ms (fractional), the clock TimerFd deadlines are in. Node's performance.now()
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

// The scheduler's wakeup (src/net/clock.ts): arm(ms) at an absolute CLOCK_MONOTONIC deadline,
// the callback once it has passed.
class TimerFd : public Napi::ObjectWrap<TimerFd> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "TimerFd",
                       {InstanceMethod("arm", &TimerFd::Arm), InstanceMethod("disarm", &TimerFd::Disarm),
                        InstanceMethod("close", &TimerFd::Close), InstanceMethod("failForTest", &TimerFd::FailForTest)});
  }

  explicit TimerFd(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TimerFd>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsFunction() || !info[1].IsFunction()) {
      Napi::TypeError::New(env, "new TimerFd(callback: () => void, onError: (error) => void)").ThrowAsJavaScriptException();
      return;
    }
    if (!timer_.Open(env, &TimerFd::Fired, &TimerFd::Failed, this)) return;
    env_ = env;
    callback_ = Napi::Persistent(info[0].As<Napi::Function>());
    onError_ = Napi::Persistent(info[1].As<Napi::Function>());
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

  // The timer is closed already; onError(error) once, then nothing more is called.
  static void Failed(void* owner, int errnum) {
    auto* self = static_cast<TimerFd*>(owner);
    Napi::FunctionReference onError = std::move(self->onError_);
    self->Stop();
    if (onError.IsEmpty()) return;
    napi_env rawEnv = self->env_;
    Napi::Env env(rawEnv);
    Napi::HandleScope scope(env);
    CallFromLoop(rawEnv, onError, {PollError(env, "timerfd", errnum)});
  }

  // failForTest(errno): what a poll error on the timerfd does.
  Napi::Value FailForTest(const Napi::CallbackInfo& info) {
    return timer_.FailForTest(info);
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
    if (!onError_.IsEmpty()) onError_.Reset();
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Stop();
    return info.Env().Undefined();
  }

  LoopTimer timer_;
  napi_env env_ = nullptr;
  Napi::FunctionReference callback_;
  Napi::FunctionReference onError_;
};

}  // namespace

void RegisterTimers(Napi::Env env, Napi::Object exports) {
  exports.Set("monotonicMs", Napi::Function::New(env, MonotonicMs, "monotonicMs"));
  exports.Set("spinUntil", Napi::Function::New(env, SpinUntil, "spinUntil"));
  exports.Set("TimerFd", TimerFd::Define(env));
}

}  // namespace vrrpd
