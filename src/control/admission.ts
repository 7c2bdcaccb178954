// Who may hold a connection to the control socket: the pure decisions the server (server.ts) acts
// on. A well-behaved client (`vrrpd status`) sends its whole request at connect, so it is told
// apart at its first read, not at accept: every connection is accepted while fewer than maxOpen
// are open, and read once. One that then still lacks a complete request waits in one of
// maxWaiting places (or is turned away); one that was answered has until its grace to read and
// close. When maxOpen are open, a newcomer replaces a connection that is wasting its place: the
// one waiting longest, else one answered at least answeredMinAgeMs ago (it does not read). New
// connections are never replaced (their request may not have been read yet), nor queued ones
// (their request is complete and answered at the next turn of the event loop).

export type SlotPhase = 'new' | 'waiting' | 'queued' | 'answered';

export interface SlotView {
  readonly phase: SlotPhase;
  /** When it entered its phase (accept, first read, complete request, answer), ms on a monotonic clock. */
  readonly since: number;
}

export interface AdmissionLimits {
  readonly maxOpen: number;
  readonly maxWaiting: number;
  readonly answeredMinAgeMs: number;
}

export type Admission<S> = { readonly kind: 'admit' } | { readonly kind: 'evict'; readonly victim: S } | { readonly kind: 'refuse' };

/** A connection arrives. */
export function admit<S extends SlotView>(slots: Iterable<S>, now: number, limits: AdmissionLimits): Admission<S> {
  let count = 0;
  let waiting: S | undefined;
  let answered: S | undefined;
  for (const s of slots) {
    count++;
    if (s.phase === 'waiting' && (waiting === undefined || s.since < waiting.since)) waiting = s;
    if (s.phase === 'answered' && now - s.since >= limits.answeredMinAgeMs && (answered === undefined || s.since < answered.since)) answered = s;
  }
  if (count < limits.maxOpen) return { kind: 'admit' };
  const victim = waiting ?? answered;
  return victim === undefined ? { kind: 'refuse' } : { kind: 'evict', victim };
}

/** A connection had its first read without a complete request: may it wait for the rest? */
export function mayWait(slots: Iterable<SlotView>, limits: AdmissionLimits): boolean {
  let waiting = 0;
  for (const s of slots) if (s.phase === 'waiting') waiting++;
  return waiting < limits.maxWaiting;
}
