// OutputCapture: a script's output cut into log lines, with a per-run budget that bounds both the
// log and the memory held for an unterminated line.
import { describe, expect, it } from 'vitest';
import { OutputCapture, type OutputStream } from '../../src/notify/output.js';

function capture(maxLines = 64, maxBytes = 8192): { c: OutputCapture; lines: [OutputStream, string][] } {
  const lines: [OutputStream, string][] = [];
  const c = new OutputCapture({ maxLines, maxBytes }, (stream, line) => lines.push([stream, line]));
  return { c, lines };
}

const b = (s: string): Buffer => Buffer.from(s, 'utf8');

describe('OutputCapture', () => {
  it('joins chunks into lines per stream, strips CR, skips blank lines, flushes the tail at end', () => {
    const { c, lines } = capture();
    c.feed('stdout', b('hel'));
    c.feed('stderr', b('oops\r\n'));
    c.feed('stdout', b('lo\n\n  \nwor'));
    c.feed('stdout', b('ld'));
    expect(lines).toEqual([
      ['stderr', 'oops'],
      ['stdout', 'hello'],
    ]);
    expect(c.end()).toEqual({ linesLogged: 3, bytesLogged: 14, droppedBytes: 0 });
    expect(lines[2]).toEqual(['stdout', 'world']);
  });

  it('keeps a multi-byte character split across chunks whole', () => {
    const { c, lines } = capture();
    const e = b('é\n');
    c.feed('stdout', e.subarray(0, 1));
    c.feed('stdout', e.subarray(1));
    expect(lines).toEqual([['stdout', 'é']]);
  });

  it('stops at the line budget and counts what it drops', () => {
    const { c, lines } = capture(3, 8192);
    c.feed('stdout', b('a\nb\nc\nd\nee\n'));
    expect(lines.map((l) => l[1])).toEqual(['a', 'b', 'c']);
    expect(c.end().droppedBytes).toBe(3); // "d" and "ee"
  });

  it('stops at the byte budget, cutting the line that crosses it', () => {
    const { c, lines } = capture(64, 10);
    c.feed('stderr', b('12345678\nabcdefgh\nzz\n'));
    expect(lines).toEqual([
      ['stderr', '12345678'],
      ['stderr', 'ab'],
    ]);
    expect(c.end()).toEqual({ linesLogged: 2, bytesLogged: 10, droppedBytes: 6 + 2 });
  });

  it('never holds more than the budget of one endless line', () => {
    const { c, lines } = capture(64, 100);
    const chunk = Buffer.alloc(64 * 1024, 0x41);
    for (let i = 0; i < 16; i++) c.feed('stdout', chunk); // 1 MiB, no newline
    c.feed('stdout', b('\nnext\n'));
    expect(lines).toEqual([['stdout', 'A'.repeat(100)]]);
    const s = c.end();
    expect(s.bytesLogged).toBe(100);
    expect(s.droppedBytes).toBe(16 * 64 * 1024 - 100 + 4);
  });

  it('after end() only counts (a background child still writing)', () => {
    const { c, lines } = capture();
    c.feed('stdout', b('x\n'));
    c.end();
    c.feed('stdout', b('late\n'));
    expect(lines).toEqual([['stdout', 'x']]);
    expect(c.summary().droppedBytes).toBe(5);
  });
});
