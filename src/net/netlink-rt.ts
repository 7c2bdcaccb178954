// The parts of the `netlink` package vrrpd uses, imported by path: the package's index also loads
// its nl80211, generic-netlink and WireGuard tables (about 0.5 MB of source, 4 MB of RSS) that an
// rtnetlink client never needs.
export { FlagsNew } from 'netlink/dist/constants.js';
export type { NetlinkMessage } from 'netlink/dist/structs.js';
export { createRtNetlink, type RtNetlinkSocket } from 'netlink/dist/rt/rt.js';
export * as rt from 'netlink/dist/rt/structs.js';
