// vrrp_garp_interval as keepalived applies it (vrrp_arp.c send_gratuitous_arp / queue_garp,
// vrrp_scheduler.c vrrp_arp_thread): the least gap between two gratuitous ARPs on one interface,
// whatever VIP or instance they announce. A GARP due sooner waits in its interface's queue, round
// robin by VIP, for one entry on the daemon's timer heap. Nothing here is awaited: a burst returns
// once what may go now has gone, so no advert, VIP removal, stop or reload ever waits behind
// spaced GARPs. An owner that leaves MASTER, stops, is removed or changes its VIPs cancels what it
// still has queued at once: a GARP for a VIP we no longer hold would pull the clients back to us.
import type { Millis, Result } from '../types.js';
import type { Scheduler, TimerEntry } from '../timers/scheduler.js';

/** One VIP's gratuitous ARP on one interface. */
export interface GarpTarget {
  readonly ifname: string;
  readonly address: string;
  readonly frame: Buffer;
}

/** Who asked for a burst: told of every GARP sent for it, now or later. */
export interface GarpOwner {
  garpSent(target: GarpTarget): void;
  /** A send failed: the owner's other GARPs on that interface are dropped (a down link fails them all). */
  garpFailed(target: GarpTarget, error: string): void;
}

export interface GarpPacer {
  /**
   * keepalived's vrrp_send_link_update: `rep` rounds over `targets`, each GARP sent now unless its
   * interface sent one less than `intervalMs` ago (0: never held). A target still queued from an
   * earlier burst is not queued twice; its remaining count grows up to `rep`.
   */
  burst(owner: GarpOwner, targets: readonly GarpTarget[], rep: number, intervalMs: Millis): void;
  /** Drop every GARP still queued for `owner`. */
  cancel(owner: GarpOwner): void;
  /** GARPs still queued, for `owner` or for everyone (a target counts its remaining sends). */
  queued(owner?: GarpOwner): number;
}

interface Queued {
  readonly owner: GarpOwner;
  readonly target: GarpTarget;
  left: number;
}

interface Link {
  /** keepalived's garp_next_time: no GARP on this interface before it. */
  nextAt: Millis | undefined;
  intervalMs: Millis;
  queue: Queued[];
  timer: TimerEntry | undefined;
}

export function createGarpPacer(send: (ifname: string, frames: Buffer[]) => Result<number, string>, scheduler: Scheduler): GarpPacer {
  const links = new Map<string, Link>();

  const linkOf = (ifname: string): Link => {
    let link = links.get(ifname);
    if (link === undefined) {
      link = { nextAt: undefined, intervalMs: 0, queue: [], timer: undefined };
      links.set(ifname, link);
    }
    return link;
  };

  const drop = (link: Link, owner: GarpOwner): void => {
    if (!link.queue.some((q) => q.owner === owner)) return;
    link.queue = link.queue.filter((q) => q.owner !== owner);
    arm(link);
  };

  /** Sends one GARP now; false (and the owner's queue on this link dropped) when it failed. */
  const sendNow = (link: Link, owner: GarpOwner, target: GarpTarget): boolean => {
    const sent = send(target.ifname, [target.frame]);
    if (link.intervalMs > 0) link.nextAt = scheduler.now() + link.intervalMs;
    if (sent.ok) {
      owner.garpSent(target);
      return true;
    }
    drop(link, owner);
    owner.garpFailed(target, sent.error);
    return false;
  };

  const drain = (link: Link): void => {
    for (;;) {
      const head = link.queue[0];
      if (head === undefined || (link.nextAt !== undefined && scheduler.now() < link.nextAt)) break;
      link.queue.shift();
      if (sendNow(link, head.owner, head.target) && --head.left > 0) link.queue.push(head);
    }
    arm(link);
  };

  /** The link's one timer, at its next free slot while anything is queued. */
  const arm = (link: Link): void => {
    if (link.queue.length === 0) {
      if (link.timer !== undefined) scheduler.cancel(link.timer);
      return;
    }
    const at = link.nextAt ?? scheduler.now();
    if (link.timer === undefined) link.timer = scheduler.at(at, () => drain(link));
    else if (link.timer.index < 0 || link.timer.deadline !== at) scheduler.reset(link.timer, at);
  };

  return {
    burst(owner, targets, rep, intervalMs) {
      const failed = new Set<string>();
      for (let round = 0; round < rep; round++) {
        for (const target of targets) {
          if (failed.has(target.ifname)) continue;
          const link = linkOf(target.ifname);
          link.intervalMs = intervalMs;
          const waiting = link.queue.find((q) => q.owner === owner && q.target.address === target.address);
          if (waiting !== undefined) {
            if (waiting.left < rep) waiting.left++;
          } else if (intervalMs > 0 && link.nextAt !== undefined && scheduler.now() < link.nextAt) {
            link.queue.push({ owner, target, left: 1 });
            arm(link);
          } else if (!sendNow(link, owner, target)) {
            failed.add(target.ifname);
          }
        }
      }
    },
    cancel(owner) {
      for (const link of links.values()) drop(link, owner);
    },
    queued(owner) {
      let n = 0;
      for (const link of links.values()) for (const q of link.queue) if (owner === undefined || q.owner === owner) n += q.left;
      return n;
    },
  };
}
