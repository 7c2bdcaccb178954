// A steady MASTER's adverts without a JavaScript wake-up each. RFC 3768 §6.4.3: "If the
// Adver_Timer fires: send an ADVERTISEMENT, reset the Adver_Timer to Advertisement_Interval". The
// core (fsm.ts sendPeriodicAdvert) answers a firing with exactly that and the same state, and says
// so (its steadyAdvert output); until another event reaches the instance, every later firing gets
// the same answer. So on that output the instance (instance/advert-sender.ts handOver) gives its
// advert to the addon's AdvertRepeater, which sends it every period from its own timerfd (new IP id
// and checksum each time), and takes it back (stop) before anything else is stepped. Why: for a
// Node process the wake-up into JS is most of an advert's cost (bench: ~0.3 ms of CPU per cold
// wake-up, keepalived ~0.08), and a MASTER spends its life doing nothing else.
//
// The repeater gives an advert back on its own when a send fails or the loop was held up a whole
// period: that advert is then sent (or fails, and is reported) by the instance's usual path.
// Times here are the scheduler's clock (performance.now()); the addon's are CLOCK_MONOTONIC, and
// `offsetMs` (timers/clock.ts) is the difference.
import { openAdvertRepeater, type RawSender, type RepeatReport } from '../native/addon.js';
import { ok, type Ipv4, type Millis, type Result } from '../types.js';

export interface RepeatJob {
  /** The advert as the instance last sent it: only the IP id changes from one to the next. Copied. */
  readonly datagram: Buffer;
  readonly dst: Ipv4;
  /** The next advert's deadline; every later one a period after the one before. */
  readonly first: Millis;
  readonly periodMs: Millis;
  /** The IP id of the advert just sent: the repeater's first carries the next one. */
  readonly ipId: number;
  /** The repeater stopped on its own (it is removed already); `progress.next` was NOT sent. */
  readonly onGiveBack: (progress: RepeatProgress) => void;
}

export interface RepeatProgress {
  /** Adverts the repeater sent for this job. */
  readonly sent: number;
  /** The deadline of the next advert, not sent yet. */
  readonly next: Millis;
  /** The IP id of the last advert sent. */
  readonly ipId: number;
}

/** One job in the repeater. After stop() (or a give-back) it is gone; the calls keep answering. */
export interface RepeatHandle {
  progress(): RepeatProgress;
  stop(): RepeatProgress;
}

export interface AdvertRepeater {
  /** Undefined when the addon refused it (a closed sender): the instance keeps sending itself. */
  start(sender: RawSender, job: RepeatJob): RepeatHandle | undefined;
  /** Idempotent; jobs still in it are dropped unsent (the daemon is exiting). */
  close(): void;
  /** What a poll error on the repeater's timerfd does (tests). */
  failForTest(errno: number): void;
}

/**
 * `onError`: the repeater's timerfd failed (a poll error); every job was given back first (its
 * onGiveBack), and start() refuses from then on, so the instances send every advert themselves.
 */
export function openRepeater(offsetMs: number, onError: (message: string) => void = () => undefined): Result<AdvertRepeater, string> {
  const jobs = new Map<number, RepeatJob>();
  let lastKey = 0;
  const progressOf = (r: RepeatReport): RepeatProgress => ({ sent: r.sent, next: r.nextMs - offsetMs, ipId: r.ipId });
  const opened = openAdvertRepeater((key, report) => {
    const job = jobs.get(key);
    if (job === undefined) return;
    jobs.delete(key);
    job.onGiveBack(progressOf(report));
  }, onError);
  if (!opened.ok) return opened;
  const native = opened.value;
  return ok({
    start(sender, job) {
      lastKey = lastKey >= 0xffffffff ? 1 : lastKey + 1;
      const key = lastKey;
      const started = native.start(key, sender, job.datagram, job.dst, job.first + offsetMs, job.periodMs, job.ipId);
      if (!started.ok) return undefined;
      jobs.set(key, job);
      // What the job last reported: the answer once it is gone (stopped, closed with the daemon).
      let last: RepeatProgress = { sent: 0, next: job.first, ipId: job.ipId };
      return {
        progress() {
          const r = native.progress(key);
          if (r !== undefined) last = progressOf(r);
          return last;
        },
        stop() {
          jobs.delete(key);
          const r = native.stop(key);
          if (r !== undefined) last = progressOf(r);
          return last;
        },
      };
    },
    close() {
      jobs.clear();
      native.close();
    },
    failForTest: (errno) => native.failForTest(errno),
  });
}
