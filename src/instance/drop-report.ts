// What an instance says about the adverts it refuses and the peers behind them. keepalived logs a
// drop, and some accepted adverts, for every packet; under a flood that drowns the log, so lines
// are rate-limited (log/limit.ts): a drop's line once per reason per interval; a line an accepted
// advert brings (fsm AdvertLine, its GARP burst's lines) and a peer report's (vrrp/peers.ts: a
// spoofed source is a new peer) up to ADVERT_LINES times per kind per interval, so a peer's few in
// a row (a preemption's "discarding" each second) read as keepalived's.
import type { Ipv4, Millis } from '../types.js';
import type { Drop } from '../vrrp/packet.js';
import { causeOf, peerView, PeerReports, type OwnSide, type PeerReport } from '../vrrp/peers.js';
import { createLogLimiter } from '../log/limit.js';
import type { SayLevel } from './vips.js';

const DROP_LOG_INTERVAL_MS = 10_000;
const ADVERT_LINES = 5;

export interface DropReportDeps {
  readonly name: () => string;
  now(): Millis;
  /** The instance's log line (held until a takeover's packets are out). */
  say(level: SayLevel, message: string): void;
  /** Our side of a peer comparison, as configured now. */
  ownSide(): OwnSide;
}

export class DropReporter {
  private readonly deps: DropReportDeps;
  private readonly dropLog;
  private readonly advertLog;
  private readonly table = new PeerReports();

  constructor(deps: DropReportDeps) {
    this.deps = deps;
    this.dropLog = createLogLimiter(DROP_LOG_INTERVAL_MS, () => deps.now());
    this.advertLog = createLogLimiter(DROP_LOG_INTERVAL_MS, () => deps.now(), ADVERT_LINES);
  }

  /**
   * say(), rate-limited by `kind` when a received advert brought the line. The kind is one of a few
   * fixed names, never the text: a spoofer varying its address must not make new keys.
   */
  sayFor(kind: string | undefined, level: SayLevel, message: string): void {
    const line = kind === undefined ? message : this.advertLog(kind, message);
    if (line !== undefined) this.deps.say(level, line);
  }

  /** An accepted advert from `src`: once per mismatch that ends (a spoofer alternating good and bad adverts must not make it one per advert). */
  accepted(src: Ipv4): void {
    for (const line of this.table.accepted(src)) this.sayFor('peer accepted', 'info', `(${this.deps.name()}) ${line}`);
  }

  /**
   * An advert failed a check. `datagram` (the received bytes and sender) lets a peer's configuration
   * mismatch be reported once per peer and cause, naming both sides (peers.ts); anything else is
   * its keepalived line, rate-limited by reason.
   */
  dropped(drop: Drop, datagram?: { readonly bytes: Uint8Array; readonly from: Ipv4 }): void {
    if (datagram !== undefined) {
      const peer = peerView(datagram.bytes, datagram.from);
      const own = this.deps.ownSide();
      const cause = causeOf(drop.reason, peer, own);
      if (cause !== undefined) {
        // Once per (peer, cause); rate-limited by cause too, as spoofed sources are new peers each.
        const line = this.table.dropped(cause, peer, own, drop.detail, this.deps.now());
        if (line !== undefined) this.sayFor(`peer ${cause}`, 'warn', `(${this.deps.name()}) ${line}`);
        return;
      }
    }
    const line = this.dropLog(drop.reason, `(${this.deps.name()}) ${drop.detail}`);
    if (line !== undefined) this.deps.say('info', line);
  }

  /** Peers whose adverts we ignore (or did) for their configuration. */
  reports(): PeerReport[] {
    return this.table.all();
  }
}
