// The control socket's limits as pure decisions: who may hold a connection (admission), how much
// of a request is read (the byte reader), how requests are batched per turn, how complaints are
// rate-limited (per kind), and what the client makes of a reply line. The socket-level behaviour
// is in control.test.ts.
import { describe, expect, it } from 'vitest';
import { admit, mayWait, type SlotView } from '../../src/control/admission.js';
import { createBatcher } from '../../src/control/batch.js';
import { readReply } from '../../src/control/client.js';
import { createRequestReader } from '../../src/control/request-reader.js';
import { createLogLimiter } from '../../src/log/limit.js';

const limits = { maxOpen: 3, maxWaiting: 2, answeredMinAgeMs: 100 };
const slot = (phase: SlotView['phase'], since: number): SlotView => ({ phase, since });

describe('admit', () => {
  it('admits while fewer than maxOpen are open, whatever they do', () => {
    expect(admit([], 0, limits)).toEqual({ kind: 'admit' });
    expect(admit([slot('waiting', 0), slot('answered', 0)], 1000, limits)).toEqual({ kind: 'admit' });
  });

  it('when full, drops the connection waiting longest for the rest of its request, before any answered one', () => {
    const slots = [slot('answered', 0), slot('waiting', 50), slot('waiting', 10)];
    expect(admit(slots, 1000, limits)).toEqual({ kind: 'evict', victim: slots[2] });
  });

  it('when full of answered connections, drops the one answered longest ago, if at least answeredMinAgeMs ago', () => {
    const slots = [slot('answered', 930), slot('answered', 850), slot('answered', 960)];
    expect(admit(slots, 1000, limits)).toEqual({ kind: 'evict', victim: slots[1] });
    expect(admit(slots, 949, limits)).toEqual({ kind: 'refuse' });
  });

  it('never drops a new connection (its request may not have been read yet) or a queued one: full of them, the newcomer is refused', () => {
    expect(admit([slot('new', 0), slot('new', 1), slot('new', 2)], 1000, limits)).toEqual({ kind: 'refuse' });
    expect(admit([slot('new', 0), slot('new', 1), slot('answered', 999)], 1000, limits)).toEqual({ kind: 'refuse' });
    // Nor a queued one: its request is complete and answered at the next turn.
    expect(admit([slot('queued', 0), slot('new', 1), slot('answered', 999)], 1000, limits)).toEqual({ kind: 'refuse' });
  });
});

describe('mayWait', () => {
  it('a connection whose request was not complete at its first read waits only while fewer than maxWaiting do', () => {
    expect(mayWait([slot('waiting', 0), slot('new', 0), slot('answered', 0)], limits)).toBe(true);
    expect(mayWait([slot('waiting', 0), slot('waiting', 0)], limits)).toBe(false);
  });
});

describe('the request reader', () => {
  const bytes = (s: string): Buffer => Buffer.from(s, 'utf8');

  it('returns the line at its newline, across chunks, and ignores what follows it', () => {
    const r = createRequestReader(4096);
    expect(r.push(bytes('{"cmd":'))).toEqual({ kind: 'more' });
    expect(r.push(bytes('"status"}\ntrailing'))).toEqual({ kind: 'line', line: '{"cmd":"status"}' });
  });

  it('decodes UTF-8 split across chunks as bytes first', () => {
    const r = createRequestReader(4096);
    const text = bytes('"é€"\n');
    expect(r.push(text.subarray(0, 2))).toEqual({ kind: 'more' });
    expect(r.push(text.subarray(2))).toEqual({ kind: 'line', line: '"é€"' });
  });

  it('a line of exactly the cap is a request; one byte more without a newline is oversized', () => {
    expect(createRequestReader(8).push(bytes('12345678\n'))).toEqual({ kind: 'line', line: '12345678' });
    const r = createRequestReader(8);
    expect(r.push(bytes('1234'))).toEqual({ kind: 'more' });
    expect(r.push(bytes('56789'))).toEqual({ kind: 'oversized' });
  });

  it('a 10 MB chunk is judged on its first cap + 1 bytes, and nothing of it is kept', () => {
    const r = createRequestReader(4096);
    const big = Buffer.alloc(10 * 1024 * 1024, 0x41);
    expect(r.push(big)).toEqual({ kind: 'oversized' });
    const late = Buffer.alloc(10 * 1024 * 1024, 0x41);
    late[5000] = 0x0a;
    expect(createRequestReader(4096).push(late)).toEqual({ kind: 'oversized' });
  });

  it('a half-close makes what was sent the request', () => {
    const r = createRequestReader(4096);
    r.push(bytes('{"cmd":"status"}'));
    expect(r.end()).toEqual({ kind: 'line', line: '{"cmd":"status"}' });
    expect(createRequestReader(4096).end()).toEqual({ kind: 'line', line: '' });
  });
});

describe('the complaint limiter', () => {
  it('one limit per kind: the first of each kind is logged, the rest counted with their own kind', () => {
    const clock = { now: 0 };
    const limit = createLogLimiter<'a' | 'b'>(10_000, () => clock.now);
    expect(limit('a', 'a1')).toBe('a1');
    for (let i = 0; i < 329; i++) expect(limit('a', 'a')).toBeUndefined();
    // Another kind is neither silenced by the flood of the first nor charged with its count.
    expect(limit('b', 'b1')).toBe('b1');
    clock.now = 10_000;
    expect(limit('b', 'b2')).toBe('b2');
    expect(limit('a', 'a2')).toBe('a2 (329 more since last report)');
    expect(limit('a', 'a3')).toBeUndefined();
    clock.now = 20_000;
    expect(limit('a', 'a4')).toBe('a4 (1 more since last report)');
  });
});

describe('the batcher', () => {
  it('requests that pile up in one turn are answered at the next from one reading per command; a throwing reading is an error reply', () => {
    const turns: (() => void)[] = [];
    let readings = 0;
    const batch = createBatcher(() => ({ ok: true, status: { reading: ++readings } }), (run) => turns.push(run));
    const replies: string[] = [];
    for (let i = 0; i < 10; i++) batch.submit({ cmd: 'status' }, (b) => replies.push(b.toString('utf8')));
    expect(turns).toHaveLength(1);
    expect(replies).toEqual([]);
    turns.shift()?.();
    expect(readings).toBe(1);
    expect(replies).toEqual(Array.from({ length: 10 }, () => '{"ok":true,"status":{"reading":1}}\n'));
    batch.submit({ cmd: 'status' }, (b) => replies.push(b.toString('utf8')));
    turns.shift()?.();
    expect(replies.at(-1)).toBe('{"ok":true,"status":{"reading":2}}\n');
    const failing = createBatcher(() => {
      throw new Error('boom');
    }, (run) => run());
    failing.submit({ cmd: 'status' }, (b) => replies.push(b.toString('utf8')));
    expect(replies.at(-1)).toBe('{"ok":false,"error":"internal error: boom"}\n');
  });
});

describe('readReply (the client)', () => {
  it('an answer, a refusal with its reason, a busy daemon to ask again, and garbage', () => {
    expect(readReply('/s', '{"ok":true,"status":{"instances":[]}}')).toEqual({ kind: 'answer', result: { ok: true, value: { instances: [] } } });
    expect(readReply('/s', '{"ok":false,"error":"permission denied"}')).toEqual({ kind: 'answer', result: { ok: false, error: 'vrrpd: permission denied' } });
    expect(readReply('/s', '{"ok":false,"busy":true,"error":"busy: all 64 connections in use"}')).toEqual({ kind: 'busy', why: 'busy: all 64 connections in use' });
    expect(readReply('/s', 'nope')).toEqual({ kind: 'fail', error: "vrrpd's reply on /s is not JSON" });
    expect(readReply('/s', '7')).toEqual({ kind: 'fail', error: "vrrpd's reply on /s is not an object" });
  });
});
