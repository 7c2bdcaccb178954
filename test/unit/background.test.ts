import { describe, expect, it } from 'vitest';
import { createBackground } from '../../src/instance/background.js';
import type { Millis } from '../../src/types.js';

/** A queue on a fake clock and fake loop turns: each job advances the clock by `jobMs`. */
function harness(budgetMs: number, jobMs: number) {
  let clock = 0;
  const turns: (() => void)[] = [];
  const ran: [turn: number, job: number][] = [];
  let turn = 0;
  const background = createBackground(budgetMs as Millis, () => clock, (f) => turns.push(f));
  const push = (id: number): void =>
    background(() => {
      clock += jobMs;
      ran.push([turn, id]);
    });
  const runTurns = (): void => {
    while (turns.length > 0) {
      turn++;
      turns.shift()?.();
    }
  };
  return { push, runTurns, ran, turns, background };
}

describe('background queue (GARP repeats behind the protocol timers)', () => {
  it('nothing runs in the caller\'s turn; jobs run in order, a budget per loop turn', () => {
    const h = harness(1, 0.3);
    for (let i = 0; i < 10; i++) h.push(i);
    expect(h.ran).toEqual([]);
    expect(h.turns).toHaveLength(1); // one turn scheduled, not one per job
    h.runTurns();
    expect(h.ran.map(([, id]) => id)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // 0.3 ms each within 1 ms: four jobs a turn (the fourth starts before the budget is spent).
    expect(h.ran.map(([t]) => t)).toEqual([1, 1, 1, 1, 2, 2, 2, 2, 3, 3]);
  });

  it('a job longer than the budget still runs, one per turn, and the queue moves on', () => {
    const h = harness(1, 5);
    for (let i = 0; i < 3; i++) h.push(i);
    h.runTurns();
    expect(h.ran).toEqual([
      [1, 0],
      [2, 1],
      [3, 2],
    ]);
  });

  it('a job that throws does not stop the others; jobs pushed by a job run after the queued ones', async () => {
    const turns: (() => void)[] = [];
    const background = createBackground(1 as Millis, () => 0, (f) => turns.push(f));
    const order: string[] = [];
    const thrown: unknown[] = [];
    const onError = (e: unknown): void => void thrown.push(e);
    process.on('uncaughtException', onError);
    try {
      background(() => {
        order.push('a');
        background(() => order.push('c'));
        throw new Error('boom');
      });
      background(() => order.push('b'));
      while (turns.length > 0) turns.shift()?.();
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('uncaughtException', onError);
    }
    expect(order).toEqual(['a', 'b', 'c']);
    expect(thrown.map((e) => (e as Error).message)).toEqual(['boom']);
  });
});
