// The control socket against whatever a local client may send: property tests (fast-check) of the
// pure pieces (the byte reader against a plain reference, the request parser, admission), then a
// real server on a unix socket under a seeded random mix of hostile clients (random bytes in random
// chunks, trickling, silent, never closing, never reading, oversized) while a well-behaved client
// asks again and again: every good request is answered, the connections stay bounded, and all of
// them are gone soon after the hostile clients stop. VRRPD_LONG=1 runs 20 times as much.
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { admit, type SlotView } from '../../src/control/admission.js';
import { request } from '../../src/control/client.js';
import { parseRequest } from '../../src/control/protocol.js';
import { createRequestReader, type ReadStep } from '../../src/control/request-reader.js';
import { startControlServer, type ControlServer } from '../../src/control/server.js';
import type { Logger } from '../../src/log/logger.js';
import { prng } from '../helpers/prng.js';

const LONG = process.env['VRRPD_LONG'] === '1';
const RUNS = LONG ? 200_000 : 10_000;
const HOSTILE_MS = LONG ? 20_000 : 1500;

/** What the reader must say about these bytes, read whole: the reference it is checked against. */
function reference(bytes: Uint8Array, max: number): ReadStep {
  const head = bytes.subarray(0, max + 1);
  const newline = head.indexOf(0x0a);
  if (newline >= 0) return { kind: 'line', line: Buffer.from(head.subarray(0, newline)).toString('utf8') };
  return bytes.length > max ? { kind: 'oversized' } : { kind: 'more' };
}

/** Cuts `bytes` at the given points. */
function chunks(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((x, y) => x - y);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const c of [...at, bytes.length]) {
    out.push(bytes.subarray(from, c));
    from = c;
  }
  return out;
}

describe('control socket properties', () => {
  it('the reader, fed any bytes in any chunks, says what the reference says of them whole', () => {
    const bytesArb = fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 }).map((s) => new Uint8Array(Buffer.from(s, 'utf8'))));
    fc.assert(
      fc.property(bytesArb, fc.array(fc.nat(), { maxLength: 8 }), fc.integer({ min: 0, max: 200 }), (bytes, cuts, max) => {
        const reader = createRequestReader(max);
        let step: ReadStep = { kind: 'more' };
        for (const c of chunks(bytes, cuts)) {
          step = reader.push(c);
          if (step.kind !== 'more') break;
        }
        const expected = reference(bytes, max);
        expect(step).toEqual(expected);
        if (expected.kind === 'more') expect(reader.end()).toEqual({ kind: 'line', line: Buffer.from(bytes).toString('utf8') });
      }),
      { numRuns: RUNS },
    );
  });

  it('parseRequest never throws: a status request, or an error of a known kind with a message', () => {
    const known = new Set(['malformed', 'unknownCommand']);
    const lineArb = fc.oneof(fc.string({ unit: 'binary' }), fc.json(), fc.constantFrom('{"cmd":"status"}', '{"cmd":"status","x":1}', '{"cmd":"__proto__"}'));
    fc.assert(
      fc.property(lineArb, (line) => {
        const r = parseRequest(line);
        if (r.ok) expect(r.value).toEqual({ cmd: 'status' });
        else {
          expect(known.has(r.error.kind)).toBe(true);
          expect(r.error.message.length).toBeLessThan(200);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('admission: admit below maxOpen; when full, evict the oldest waiting, else the oldest answered old enough, never a new or queued one; else refuse', () => {
    const slotArb = fc.record({ phase: fc.constantFrom<SlotView['phase']>('new', 'waiting', 'queued', 'answered'), since: fc.integer({ min: 0, max: 1000 }) });
    fc.assert(
      fc.property(fc.array(slotArb, { maxLength: 20 }), fc.integer({ min: 1, max: 16 }), fc.integer({ min: 0, max: 200 }), (slots, maxOpen, answeredMinAgeMs) => {
        const now = 1000;
        const r = admit(slots, now, { maxOpen, maxWaiting: 4, answeredMinAgeMs });
        const waiting = slots.filter((s) => s.phase === 'waiting');
        const pool = waiting.length > 0 ? waiting : slots.filter((s) => s.phase === 'answered' && now - s.since >= answeredMinAgeMs);
        if (slots.length < maxOpen) expect(r).toEqual({ kind: 'admit' });
        else if (pool.length === 0) expect(r).toEqual({ kind: 'refuse' });
        else {
          expect(r.kind).toBe('evict');
          const victim = r.kind === 'evict' ? r.victim : undefined;
          expect(pool).toContain(victim);
          expect(victim?.since).toBe(Math.min(...pool.map((s) => s.since)));
        }
      }),
      { numRuns: RUNS },
    );
  });
});

type Behaviour = (s: Socket, rnd: () => number) => void;

const BEHAVIOURS: Readonly<Record<string, Behaviour>> = {
  randomChunks: (s, rnd) => {
    const bytes = Buffer.from(Array.from({ length: Math.floor(rnd() * 6000) }, () => Math.floor(rnd() * 256)));
    for (const c of chunks(bytes, [Math.floor(rnd() * 6000), Math.floor(rnd() * 6000)])) s.write(c);
    if (rnd() < 0.5) s.end();
  },
  trickle: (s) => {
    const t = setInterval(() => s.write('{'), 5);
    s.on('close', () => clearInterval(t));
  },
  silent: () => undefined,
  badLineNeverClose: (s) => s.write('garbage\n'),
  neverRead: (s) => {
    s.pause();
    s.write('{"cmd":"status"}\n');
  },
  oversized: (s) => s.write(Buffer.alloc(256 * 1024, 0x78)),
  halfCloseGood: (s) => s.end('{"cmd":"status"}'),
};

describe('a real control server under a random mix of hostile clients', () => {
  let dir: string;
  let server: ControlServer | undefined;
  const log = { info: () => undefined, debug: () => undefined, warn: () => undefined } as unknown as Pick<Logger, 'info' | 'warn' | 'debug'>;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'vrrpd-control-fuzz-'));
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: every good request is answered, connections stay bounded, and are gone after deadline + grace`, async () => {
      const path = join(dir, 'vrrpd.sock');
      const deadlineMs = 100;
      const graceMs = 500;
      const big = { instances: [], pad: 'p'.repeat(300_000) };
      // Fewer places than hostile clients, so that replacing and turning away are exercised.
      const limits = { maxOpen: 12, maxWaiting: 4 };
      const started = await startControlServer({ path, log, deadlineMs, graceMs, limits, handle: () => ({ ok: true, status: big }) });
      if (!started.ok) throw new Error(started.error);
      server = started.value;
      const srv = started.value;
      const rnd = prng(seed);
      const names = Object.keys(BEHAVIOURS);
      const until = Date.now() + HOSTILE_MS;
      const live = new Set<Socket>();
      let peak = 0;
      let connections = 0;
      const hostile = (): void => {
        if (Date.now() >= until) return;
        const behave = BEHAVIOURS[names[Math.floor(rnd() * names.length)] ?? 'silent'] ?? (() => undefined);
        const s = connect({ path, allowHalfOpen: rnd() < 0.5 });
        connections++;
        live.add(s);
        s.on('error', () => undefined);
        s.on('connect', () => behave(s, rnd));
        // Gone when the daemon closes, or when it tires of waiting; then the next one comes.
        s.on('end', () => s.destroy());
        const lifetime = setTimeout(() => s.destroy(), Math.floor(rnd() * 300));
        s.on('close', () => {
          clearTimeout(lifetime);
          live.delete(s);
          setTimeout(hostile, Math.floor(rnd() * 3));
        });
      };
      for (let i = 0; i < 32; i++) hostile();
      const sampler = setInterval(() => (peak = Math.max(peak, srv.connections())), 2);
      let asked = 0;
      while (Date.now() < until) {
        const r = await request(path, 'status', 5000);
        expect(r.ok ? 'answered' : r.error).toBe('answered');
        asked++;
      }
      // The hostile clients stop reconnecting; the daemon closes the rest.
      await new Promise((r) => setTimeout(r, deadlineMs + graceMs + 200));
      clearInterval(sampler);
      console.log(`control fuzz seed ${seed}: ${connections} hostile connections, ${asked} good requests all answered, peak ${peak} open`);
      expect(asked).toBeGreaterThan(3);
      // The places, plus at most 16 turned away and closing.
      expect(peak).toBeLessThanOrEqual(limits.maxOpen + 16);
      expect(srv.connections()).toBe(0);
      for (const s of live) s.destroy();
    }, HOSTILE_MS + 20_000);
  }
});
