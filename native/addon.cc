// vrrpd's native addon: the few system calls of the VRRP path that Node and the npm packages we
// use cannot make (common.h lists the parts, one concern a file). This file is the module's init:
// `abi` (abi.h), which src/native/addon.ts checks at load, and every part's exports. N-API
// (NAPI_VERSION 8, native/binding.gyp), so one build loads on every Node line.
#include "abi.h"
#include "common.h"

#include <cstdlib>

// GCC 11+ headers let every container allocation call std::__throw_bad_array_new_length, which
// only GCC 11's libstdc++ has (GLIBCXX_3.4.29); RHEL 8's (GCC 8) stops at GLIBCXX_3.4.25, where the
// addon would not load. So the addon has its own (Node loads addons RTLD_LOCAL: it stands in for
// nobody else's). Reached only for a size above max_size(), a bug, it aborts, as the uncaught
// throw would without C++ exceptions. (Linking libstdc++ statically instead gave 390 KB against
// 164 KB, and needed GLIBC_2.36 for the build host's arc4random and _dl_find_object.)
namespace std {
void __throw_bad_array_new_length() { std::abort(); }
}  // namespace std

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("abi", Napi::Number::New(env, VRRPD_NATIVE_ABI));
  vrrpd::RegisterJournal(env, exports);
  vrrpd::RegisterPacketSocket(env, exports);
  vrrpd::RegisterRawSender(env, exports);
  vrrpd::RegisterRawReceiver(env, exports);
  vrrpd::RegisterNetlinkRoute(env, exports);
  vrrpd::RegisterNetlinkSocket(env, exports);
  vrrpd::RegisterSystem(env, exports);
  vrrpd::RegisterSignals(env, exports);
  vrrpd::RegisterTimers(env, exports);
  vrrpd::RegisterRepeater(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(vrrpd_native, Init)
