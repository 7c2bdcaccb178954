// The helpers every part of the addon uses (common.h): errors as Error objects carrying errno,
// the interface-name check, the CLOCK_MONOTONIC reading, and the call into JavaScript from a libuv
// callback.
#include "common.h"

#include <cstring>
#include <ctime>
#include <net/if.h>

namespace vrrpd {

Napi::Value ThrowErrno(Napi::Env env, const std::string& what, int errnum) {
  Napi::Error e = Napi::Error::New(env, what + ": " + std::strerror(errnum));
  e.Set("errno", Napi::Number::New(env, errnum));
  e.ThrowAsJavaScriptException();
  return env.Undefined();
}

bool ValidIfName(const std::string& name) { return !name.empty() && name.size() < IFNAMSIZ; }

double MonotonicNowMs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

Napi::Value PollError(Napi::Env env, const std::string& what, int errnum) {
  Napi::Error e = Napi::Error::New(env, "poll(" + what + "): " + std::strerror(errnum));
  e.Set("errno", Napi::Number::New(env, errnum));
  return e.Value();
}

void CallFromLoop(napi_env rawEnv, const Napi::FunctionReference& callback, const std::initializer_list<napi_value>& args) {
  Napi::Env env(rawEnv);
  callback.MakeCallback(env.Global(), args);
  if (env.IsExceptionPending()) {
    Napi::Error e = env.GetAndClearPendingException();
    napi_fatal_exception(env, e.Value());
  }
}

}  // namespace vrrpd
