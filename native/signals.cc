// Signals Node cannot catch.
//   sigrtmin()            libc's SIGRTMIN (glibc reserves the first realtime signals for itself).
//   SignalWatcher(n, fn)  catch signal n on Node's event loop: Node's process.on() only knows the
//                         signals in os.constants.signals, and the default action of a realtime
//                         signal (keepalived's JSON = SIGRTMIN+2, STATS_CLEAR = SIGRTMIN+29)
//                         terminates the process.
#include "common.h"

#include <cerrno>
#include <csignal>
#include <string>
#include <uv.h>

namespace vrrpd {
namespace {

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

}  // namespace

void RegisterSignals(Napi::Env env, Napi::Object exports) {
  exports.Set("sigrtmin", Napi::Function::New(env, SigRtMin, "sigrtmin"));
  exports.Set("SignalWatcher", SignalWatcher::Define(env));
}

}  // namespace vrrpd
