// The advert repeater's timerfd failing (a poll error): every job goes back to its instance first,
// the error is reported once, and the repeater refuses new jobs, so no advert is left to a timer
// that cannot fire. Needs root (a raw socket on lo); sends nothing (the first advert is 60 s away).
import { expect, it } from 'vitest';
import { ifInfo, monotonicClock, nativeAvailable, openAdvertRepeater, openRawSender, type RepeatReport } from '../../src/native/addon.js';
import { describeUnless } from '../helpers/unmet.js';

describeUnless(!nativeAvailable().ok)('AdvertRepeater after a poll error', () => {
  it('gives every job back, then reports the error; start() is refused from then on', () => {
    if (process.getuid?.() !== 0) throw new Error('needs root: a raw IPv4 socket');
    const lo = ifInfo('lo');
    if (!lo.ok) throw new Error(lo.error);
    const sender = openRawSender('lo', lo.value.index);
    if (!sender.ok) throw new Error(sender.error);
    const events: string[] = [];
    const givenBack: [number, RepeatReport][] = [];
    const repeater = openAdvertRepeater(
      (key, report) => {
        events.push(`giveBack ${key}`);
        givenBack.push([key, report]);
      },
      (message) => events.push(`error ${message}`),
    );
    if (!repeater.ok) throw new Error(repeater.error);
    try {
      const datagram = Buffer.alloc(40);
      datagram[0] = 0x45;
      const now = monotonicClock();
      if (!now.ok) throw new Error(now.error);
      const first = now.value() + 60_000;
      expect(repeater.value.start(1, sender.value, datagram, '127.0.0.1', first, 1000, 7).ok).toBe(true);
      expect(repeater.value.start(2, sender.value, datagram, '127.0.0.1', first + 500, 1000, 9).ok).toBe(true);
      repeater.value.failForTest(5);
      expect(events.slice(0, 2).sort()).toEqual(['giveBack 1', 'giveBack 2']);
      expect(events.slice(2)).toEqual(['error poll(repeater timerfd): Input/output error (EIO)']);
      expect(new Map(givenBack).get(1)).toEqual({ sent: 0, nextMs: first, ipId: 7 });
      const again = repeater.value.start(3, sender.value, datagram, '127.0.0.1', first, 1000, 1);
      expect(again).toEqual({ ok: false, error: 'repeater start: Bad file descriptor (EBADF)' });
    } finally {
      repeater.value.close();
      sender.value.close();
    }
  });
});
