// A tree of plain objects and arrays (a LoadResult) handed from a worker thread to the event loop
// in slices. A structured clone is deserialized in one go when its message arrives: a Config of
// 4000 instances is 6.6 MB and 100-160 ms of the daemon's loop, past an advert's budget. So the
// worker cuts the tree into parts of about SLICE_NODES values each (an object that does not fit
// becomes a part of its own; an array that does not fit goes on in a chain of parts), and the loop
// deserializes and joins them a part at a time, giving the adverts their turn in between.
// Anything that is not a plain object or array (a string, a Buffer, a Map) travels whole inside its
// part, as in any structured clone.
import { deserialize, serialize } from 'node:v8';

/** Values in one part: 1-2 ms to deserialize on the daemon's small young generation. */
export const SLICE_NODES = 2000;

export interface Slices {
  /** Serialized parts, the root first; a part refers only to parts after it. */
  readonly parts: readonly Uint8Array[];
  /** For each array cut across parts, the parts holding the rest of its items, in order. */
  readonly chains: readonly (readonly number[])[];
}

/** In a part, where the tree goes on: an object that is a part of its own, or an array's chain. */
const MARK = '\u0000slice';
type Mark = { readonly [MARK]: 'object'; readonly part: number } | { readonly [MARK]: 'array'; readonly head: unknown[]; readonly chain: number };

const isPlain = (v: unknown): v is Record<string, unknown> | unknown[] => {
  if (v === null || typeof v !== 'object') return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return Array.isArray(v) || proto === Object.prototype || proto === null;
};

/** What a part is made of: a value, or the items of an array from `from` on. */
type Source = { readonly value: unknown } | { readonly array: readonly unknown[]; readonly from: number; readonly chain: number };

export function toSlices(root: unknown, nodes = SLICE_NODES): Slices {
  const queue: Source[] = [{ value: root }];
  const chains: number[][] = [];
  const parts: Buffer[] = [];
  for (let i = 0; i < queue.length; i++) {
    // Every value counts, strings too: each is an allocation when deserialized.
    let room = nodes;
    /** Items of `array` from `from` while there is room (one at least); queues the rest on `chain`. */
    const items = (array: readonly unknown[], from: number, chain: () => number): unknown[] => {
      const out: unknown[] = [];
      for (let k = from; k < array.length; k++) {
        if (room <= 0 && k > from) {
          const c = chain();
          (chains[c] as number[]).push(queue.push({ array, from: k, chain: c }) - 1);
          break;
        }
        out.push(copy(array[k]));
      }
      return out;
    };
    const copy = (v: unknown): unknown => {
      room--;
      if (!isPlain(v)) return v;
      if (Array.isArray(v)) {
        let chain: number | undefined;
        const head = items(v, 0, () => (chain ??= chains.push([]) - 1));
        return chain === undefined ? head : { [MARK]: 'array', head, chain };
      }
      const o: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) o[k] = room <= 0 && isPlain(x) ? { [MARK]: 'object', part: queue.push({ value: x }) - 1 } : copy(x);
      return o;
    };
    const source = queue[i] as Source;
    parts.push(serialize('value' in source ? copy(source.value) : items(source.array, source.from, () => source.chain)));
  }
  return { parts, chains };
}

const isMark = (v: unknown): v is Mark => v !== null && typeof v === 'object' && Object.hasOwn(v, MARK);

/** One part with its marks replaced by the (already joined) parts they stand for. */
function join(v: unknown, joined: unknown[], chains: Slices['chains']): unknown {
  if (isMark(v)) {
    if (v[MARK] === 'object') return joined[v.part];
    const out = v.head.map((x) => join(x, joined, chains));
    for (const p of chains[v.chain] ?? []) for (const x of joined[p] as unknown[]) out.push(x);
    return out;
  }
  if (!isPlain(v)) return v;
  if (Array.isArray(v)) {
    for (let k = 0; k < v.length; k++) v[k] = join(v[k], joined, chains);
  } else {
    for (const k of Object.keys(v)) v[k] = join(v[k], joined, chains);
  }
  return v;
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The tree back from its slices, the event loop running between any two parts. */
export async function fromSlices(slices: Slices): Promise<unknown> {
  const values: unknown[] = [];
  for (const part of slices.parts) {
    values.push(deserialize(part));
    await turn();
  }
  // Parts refer to later parts only: join from the last one back.
  const joined: unknown[] = [];
  for (let i = values.length - 1; i >= 0; i--) {
    joined[i] = join(values[i], joined, slices.chains);
    if (i % 16 === 0) await turn();
  }
  return joined[0];
}
