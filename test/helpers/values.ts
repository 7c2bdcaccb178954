// Branded values from literals for tests: a number the test knows is valid, or a loud failure.
import { toPriority, toVrid, type Priority, type Vrid } from '../../src/types.js';

export function vrid(n: number): Vrid {
  const v = toVrid(n);
  if (v === undefined) throw new Error(`bad vrid ${n}`);
  return v;
}

export function prio(n: number): Priority {
  const p = toPriority(n);
  if (p === undefined) throw new Error(`bad priority ${n}`);
  return p;
}
