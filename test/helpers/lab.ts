// What every lab test names: the pair lab's hosts (lab/netns.ts pairLabSpec) without their prefix
// length, their MACs, and a Result unwrapper that fails the test with the error's own text.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame, VrrpFrame } from '../../lab/capture.js';
import { CLIENT, NODE_A, NODE_B } from '../../lab/netns.js';
import { repoRoot } from '../../lab/vrrpd.js';

export { A_IP, B_IP, CLIENT_IP } from '../../lab/netns.js';
export const A_MAC: string = NODE_A.mac;
export const B_MAC: string = NODE_B.mac;
export const CLIENT_MAC: string = CLIENT.mac;

export function unwrap<T>(r: { ok: true; value: T } | { ok: false; error: string }): T {
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

/** A config of the seed pair under etc/ (node-a.conf, node-b.conf). */
export const seedConfig = (name: string): string => readFileSync(join(repoRoot(), 'etc', name), 'utf8');

/** The VRRP frames a capture saw from `src`. */
export const advertsFrom = (frames: readonly Frame[], src: string): VrrpFrame[] =>
  frames.filter((f): f is VrrpFrame => f.kind === 'vrrp' && f.src === src);
