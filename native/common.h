// What every part of the addon shares: the error convention, the interface-name check, the
// CLOCK_MONOTONIC reading, the call from a libuv callback into JavaScript, and each part's
// Register function (addon.cc calls them all at load). The addon's parts, one concern a file:
//   addon.cc          module init: the ABI number (abi.h), the exports
//   common.cc         what this header declares
//   packet-socket.cc  ifInfo, PacketSocket (AF_PACKET, gratuitous ARP)
//   raw-sender.cc     RawSender (IPPROTO_RAW, the adverts)
//   polled-socket.h   PolledSocket<T>: a receiving socket on Node's loop (watch, hold, stop)
//   raw-receiver.cc   RawReceiver (the VRRP receive socket, protocol 112, on Node's loop)
//   netlink-route.cc  NetlinkRoute (VIP add and delete with the kernel's ack)
//   netlink-socket.cc NetlinkSocket (rtnetlink dumps and monitors on Node's loop: raw bytes)
//   timers.cc         LoopTimer, TimerFd, monotonicMs, spinUntil
//   repeater.cc       AdvertRepeater (the steady MASTER's adverts without waking JavaScript)
//   signals.cc        sigrtmin, SignalWatcher (realtime signals Node cannot catch)
//   system.cc         sdNotify, openlog/syslog, cloexec, cloexecRange, flock, peerCred
//   journal.cc        journalSend (systemd's native journal protocol)
// Errors are thrown as Error objects carrying `errno` (a number) and strerror text;
// src/native/addon.ts turns them into values.
#ifndef VRRPD_NATIVE_COMMON_H
#define VRRPD_NATIVE_COMMON_H

#include <napi.h>

#include <initializer_list>
#include <string>

namespace vrrpd {

// Throws Error(what + ": " + strerror(errnum)) with .errno = errnum; returns undefined.
Napi::Value ThrowErrno(Napi::Env env, const std::string& what, int errnum);

// Interface names are at most IFNAMSIZ-1 bytes; longer ones would be silently truncated by
// strncpy into ifr_name and could name a different interface.
bool ValidIfName(const std::string& name);

// CLOCK_MONOTONIC in ms (fractional): the clock of every deadline and receive stamp.
double MonotonicNowMs();

// Error("poll(what): strerror") with .errno: what a LoopTimer's owner hands JavaScript when the
// loop reports an error on its descriptor.
Napi::Value PollError(Napi::Env env, const std::string& what, int errnum);

// Calls `callback` with `args` from the loop (MakeCallback: microtasks and nextTicks run after it);
// an exception in it is the process's uncaught exception, as in any Node callback.
void CallFromLoop(napi_env rawEnv, const Napi::FunctionReference& callback, const std::initializer_list<napi_value>& args);

// Each part sets its exports.
void RegisterPacketSocket(Napi::Env env, Napi::Object exports);
void RegisterRawSender(Napi::Env env, Napi::Object exports);
void RegisterRawReceiver(Napi::Env env, Napi::Object exports);
void RegisterNetlinkRoute(Napi::Env env, Napi::Object exports);
void RegisterNetlinkSocket(Napi::Env env, Napi::Object exports);
void RegisterTimers(Napi::Env env, Napi::Object exports);
void RegisterRepeater(Napi::Env env, Napi::Object exports);
void RegisterSignals(Napi::Env env, Napi::Object exports);
void RegisterSystem(Napi::Env env, Napi::Object exports);
void RegisterJournal(Napi::Env env, Napi::Object exports);

}  // namespace vrrpd

#endif
