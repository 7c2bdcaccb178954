// The IPv4 header fields RFC 3768 §5.2 fixes for an advert. Apart from packet.ts so that the
// configuration's defaults (224.0.0.18) can name them without loading the codec.
import type { Ipv4 } from '../types.js';

/** IANA protocol number of VRRP (RFC 3768 §5.2.4). */
export const IPPROTO_VRRP = 112;
/** The IPv4 multicast group every VRRP router listens on (RFC 3768 §5.2.2). */
export const VRRP_MULTICAST_GROUP = '224.0.0.18' as Ipv4;
/** "The TTL MUST be set to 255" (RFC 3768 §5.2.3); a receiver drops anything else. */
export const VRRP_TTL = 255;
/** TOS keepalived puts on adverts: 0xc0 = precedence "internetwork control" (docs/reference/keepalived-behaviour.md#sockets-and-the-ip-header). */
export const VRRP_TOS = 0xc0;
