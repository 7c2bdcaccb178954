// RawSender: the advert's send socket (raw-sender.cc), shared with repeater.cc, which sends on it.
#ifndef VRRPD_NATIVE_RAW_SENDER_H
#define VRRPD_NATIVE_RAW_SENDER_H

#include <napi.h>

namespace vrrpd {

// Send-only IPv4 raw socket for adverts. IPPROTO_RAW implies IP_HDRINCL and the kernel delivers
// nothing to it, so there is no receive queue to drain (RawReceiver receives). The kernel
// fills in total length and header checksum (and an id of 0, which we never send); everything else
// goes out as given, so the wire is the bytes packet.ts built.
class RawSender : public Napi::ObjectWrap<RawSender> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit RawSender(const Napi::CallbackInfo& info);
  ~RawSender() override;

  // The RawSender wrapped by `object`, or nullptr when it is any other object.
  static RawSender* From(Napi::Object object);
  // The socket; -1 once closed.
  int Fd() const { return fd_; }

 private:
  Napi::Value Send(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);

  int fd_ = -1;
};

}  // namespace vrrpd

#endif
