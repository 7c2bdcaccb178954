// The parts of the `netlink` package vrrpd uses, loaded by path: the package's index also loads
// its nl80211, generic-netlink and WireGuard tables (about 0.5 MB of source, 4 MB of RSS) that an
// rtnetlink client never needs. Loaded with require(), not `import`: an ESM import of these CommonJS
// files costs about 6 MB more RSS (measured: 53 vs 47 MB for a node process loading only them).
// The type imports are erased at compile time.
import { createRequire } from 'node:module';
import type * as Constants from 'netlink/dist/constants.js';
import type * as Rt from 'netlink/dist/rt/rt.js';
import type * as RtStructs from 'netlink/dist/rt/structs.js';

const load = createRequire(import.meta.url);

export type { NetlinkMessage } from 'netlink/dist/structs.js';
export type { RtStructs };
export type RtNetlinkSocket = Rt.RtNetlinkSocket;
export const { FlagsNew } = load('netlink/dist/constants.js') as typeof Constants;
export const { createRtNetlink } = load('netlink/dist/rt/rt.js') as typeof Rt;
export const rt = load('netlink/dist/rt/structs.js') as typeof RtStructs;
