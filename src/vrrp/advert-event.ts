// A decoded VRRPv3 advert as the core's event: what RFC 5798 §6.4 reads of it (priority, sender,
// and the Max Adver Int a backup adopts as Master_Adver_Interval). The address list and the rest
// stay with the receive checks (packet-v3.ts). A VRRPv2 advert's event carries no interval (a
// mismatch is a drop in packet.ts), and the shell builds it as before.
import type { FsmEvent } from './fsm.js';
import type { V3Advert } from './packet-v3.js';

/**
 * Over IPv4 only for now: an IPv6 advert waits for the core's addresses to cover IPv6 (the
 * tie-break of RFC 5798 §6.4.3 compares our primary address with the sender's).
 */
export function advertEventV3(advert: V3Advert<'ipv4'>): FsmEvent {
  return { type: 'advert', priority: advert.priority, from: advert.src, advertIntCs: advert.advertIntCs };
}
