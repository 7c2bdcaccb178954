// AdvertRepeater: the steady MASTER's periodic advert, sent from C on its own timerfd without
// waking JavaScript (src/net/repeater.ts says when). Native because for a Node process the wake-up
// into JS is the dearest part of an advert; here a due advert costs the timerfd read, an IP id
// patch and one sendto() on the instance's RawSender.
#include "common.h"
#include "raw-sender.h"
#include "timers.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <functional>
#include <netinet/in.h>
#include <queue>
#include <string>
#include <sys/socket.h>
#include <unordered_map>
#include <utility>
#include <vector>

namespace vrrpd {
namespace {

// The steady MASTER's periodic advert, sent without waking JavaScript (src/net/repeater.ts).
// When the core's answer to an Adver_Timer was "send this advert, fire again one interval after
// the deadline that fired" and the instance's state did not change, every later firing gets the
// same answer until some other event comes; the instance then hands the datagram here, and takes
// it back (stop) before it steps any other event. For a Node process the wake-up into JS is the
// dearest part of an advert (docs/performance.md); here a due advert costs the timerfd read, an
// id patch and one sendto().
//   start(key, sender, datagram, dst, firstMs, periodMs, ipId)  absolute CLOCK_MONOTONIC ms;
//       every advert increments the IP id first (never 0, as packet.ts nextIpId) and patches it
//       and the header checksum into the datagram (as packet.ts setIpId).
//   stop(key) / progress(key) -> [sent, nextMs, ipId] | undefined  (stop removes the entry)
//   callback(key, nextMs, sent, ipId)  the entry gave itself back, already removed: a send failed
//       or the loop was held up a whole period. nextMs is then the advert NOT sent, for the
//       instance's own path to send (and report) as it would have.
//   onError(error)  its timerfd failed (a poll error) and is closed: every entry was given back
//       first (callback for each), and start() refuses from then on, so every advert is the
//       instances' own again.
class AdvertRepeater : public Napi::ObjectWrap<AdvertRepeater> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "AdvertRepeater",
                       {InstanceMethod("start", &AdvertRepeater::Start), InstanceMethod("stop", &AdvertRepeater::Stop),
                        InstanceMethod("progress", &AdvertRepeater::Progress),
                        InstanceMethod("close", &AdvertRepeater::Close),
                        InstanceMethod("failForTest", &AdvertRepeater::FailForTest)});
  }

  explicit AdvertRepeater(const Napi::CallbackInfo& info) : Napi::ObjectWrap<AdvertRepeater>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsFunction() || !info[1].IsFunction()) {
      Napi::TypeError::New(env, "new AdvertRepeater(callback: (key, nextMs, sent, ipId) => void, onError: (error) => void)")
          .ThrowAsJavaScriptException();
      return;
    }
    if (!timer_.Open(env, &AdvertRepeater::Fired, &AdvertRepeater::Failed, this)) return;
    env_ = env;
    callback_ = Napi::Persistent(info[0].As<Napi::Function>());
    onError_ = Napi::Persistent(info[1].As<Napi::Function>());
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
    if (e.sender->Fd() < 0) return false;
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
    do n = sendto(e.sender->Fd(), header, e.datagram.size(), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&e.to), sizeof e.to);
    while (n < 0 && errno == EINTR);
    if (n < 0) return false;
    e.ipId = id;
    e.sent += 1;
    return true;
  }

  static void Fired(void* owner) { static_cast<AdvertRepeater*>(owner)->RunDue(); }

  // The timer is closed already: every entry goes back to its instance, then onError.
  static void Failed(void* owner, int errnum) {
    auto* self = static_cast<AdvertRepeater*>(owner);
    std::vector<GiveBack> givenBack;
    for (const auto& [key, e] : self->entries_) givenBack.push_back({key, e.next, e.sent, e.ipId});
    self->entries_.clear();
    self->heap_ = {};
    Napi::FunctionReference callback = std::move(self->callback_);
    Napi::FunctionReference onError = std::move(self->onError_);
    napi_env rawEnv = self->env_;  // self may be gone once JavaScript has run
    Napi::Env env(rawEnv);
    Napi::HandleScope scope(env);
    if (!callback.IsEmpty()) {
      for (const GiveBack& g : givenBack)
        CallFromLoop(rawEnv, callback, {Napi::Number::New(env, g.key), Napi::Number::New(env, g.next),
                                            Napi::Number::New(env, g.sent), Napi::Number::New(env, g.ipId)});
    }
    if (!onError.IsEmpty()) CallFromLoop(rawEnv, onError, {PollError(env, "repeater timerfd", errnum)});
  }

  // failForTest(errno): what a poll error on the repeater's timerfd does.
  Napi::Value FailForTest(const Napi::CallbackInfo& info) {
    return timer_.FailForTest(info);
  }

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
    RawSender* sender = RawSender::From(senderObject);
    if (sender == nullptr) {
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
    e.sender = sender;
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
    if (!onError_.IsEmpty()) onError_.Reset();
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Shutdown();
    return info.Env().Undefined();
  }

  LoopTimer timer_;
  napi_env env_ = nullptr;
  Napi::FunctionReference callback_;
  Napi::FunctionReference onError_;
  std::unordered_map<uint32_t, Entry> entries_;
  std::priority_queue<Slot, std::vector<Slot>, std::greater<Slot>> heap_;
  uint64_t order_ = 0;
  uint64_t generations_ = 0;
};

}  // namespace

void RegisterRepeater(Napi::Env env, Napi::Object exports) { exports.Set("AdvertRepeater", AdvertRepeater::Define(env)); }

}  // namespace vrrpd
