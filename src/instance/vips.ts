// An instance's VIPs as the core's addVips / delVips / restoreVip and a reload's diff ask: the
// addresses (rtnetlink, synchronous when the port is: a takeover's VIPs then go in the timer's own
// callback) and, in no-accept mode, the firewall's drop rule, in keepalived's order.
import type { InstanceConfig, VirtualIpConfig } from '../config/config.js';
import type { Ipv4, Result } from '../types.js';
import type { VipPlace } from '../vrrp/vip-diff.js';

/** Where a VIP lives: the instance's interface unless `dev` says otherwise. */
export interface VipLink {
  readonly vip: VirtualIpConfig;
  readonly ifname: string;
  readonly ifindex: number;
  readonly mac: Buffer;
}

/** The address and firewall side of the instance's ports (instance.ts InstancePorts). */
export interface VipPorts {
  addAddress(a: { index: number; address: Ipv4; prefixLength: number; label?: string }): Result<void, string> | Promise<Result<void, string>>;
  delAddress(a: { index: number; address: Ipv4; prefixLength: number }): Result<void, string> | Promise<Result<void, string>>;
  /** No-accept mode's drop rules (net/firewall.ts); given when the instance has `accept` off. */
  readonly firewall?: {
    add(vips: readonly Ipv4[]): Promise<Result<void, string>>;
    remove(vips: readonly Ipv4[]): Promise<Result<void, string>>;
  };
}

export type SayLevel = 'debug' | 'info' | 'warn' | 'error';

export interface VipDeps {
  name(): string;
  readonly ports: VipPorts;
  /** The instance's current VIPs and config: a reload replaces both. */
  host(): { readonly vips: readonly VipLink[] };
  config(): InstanceConfig;
  /** The instance's log line (held until a takeover's packets are out). */
  say(level: SayLevel, message: string): void;
}

export class VipExecutor {
  private readonly deps: VipDeps;

  constructor(deps: VipDeps) {
    this.deps = deps;
  }

  /**
   * A reload's diff (fsm.ts changeVips): `removed` are the old configuration's places, `added` the
   * new one's links.
   */
  async changeVips(removed: readonly VipPlace[], added: readonly VipLink[]): Promise<void> {
    // keepalived 2.2.7 logs this for a MASTER at every reload (it re-adds them all; we only add what is new).
    if (this.deps.host().vips.length > 0) this.deps.say('info', `(${this.deps.name()}) setting VIPs.`);
    for (const place of removed) await this.addressOp(place, undefined, false);
    await this.setDropRule(false, removed.map((p) => p.address));
    await this.setDropRule(true, added.map((l) => l.vip.address));
    for (const link of added) await this.vipOp(link, true);
  }

  /** Synchronous when the port is (the addon's netlink); a promise only when it is not. */
  vipOp({ vip, ifindex }: VipLink, add: boolean): void | Promise<void> {
    return this.addressOp({ address: vip.address, prefixLength: vip.prefixLength, ifindex }, vip.label, add);
  }

  private addressOp({ address, prefixLength, ifindex }: VipPlace, label: string | undefined, add: boolean): void | Promise<void> {
    const where = { index: ifindex, address, prefixLength };
    const report = (done: Result<void, string>): void => {
      if (done.ok) return;
      this.deps.say('error', `(${this.deps.name()}) cannot ${add ? 'add' : 'remove'} VIP ${address}/${prefixLength}: ${done.error}`);
    };
    const done = add ? this.deps.ports.addAddress(label ? { ...where, label } : where) : this.deps.ports.delAddress(where);
    if (done instanceof Promise) return done.then(report);
    report(done);
  }

  /** vipOp for links[from..], in order; synchronous as long as every operation is. */
  private vipOps(links: readonly VipLink[], add: boolean, from = 0): void | Promise<void> {
    for (let i = from; i < links.length; i++) {
      const link = links[i];
      const running = link === undefined ? undefined : this.vipOp(link, add);
      if (running !== undefined) return running.then(() => this.vipOps(links, add, i + 1));
    }
  }

  setVips(add: boolean): void | Promise<void> {
    if (this.deps.host().vips.length === 0) return;
    // No-accept mode's drop rule (an nft run) must be in place before the VIPs appear: that path awaits.
    if (this.needsDropRule(this.deps.host().vips)) return this.setVipsWithDropRule(add);
    this.deps.say('info', `(${this.deps.name()}) ${add ? 'setting' : 'removing'} VIPs.`);
    return this.vipOps(this.deps.host().vips, add);
  }

  private async setVipsWithDropRule(add: boolean): Promise<void> {
    // keepalived's order: the drop rule before the VIPs appear, removed after they are gone.
    const addresses = this.deps.host().vips.map((v) => v.vip.address);
    if (add) await this.setDropRule(true, addresses);
    this.deps.say('info', `(${this.deps.name()}) ${add ? 'setting' : 'removing'} VIPs.`);
    await this.vipOps(this.deps.host().vips, add);
    if (!add) await this.setDropRule(false, addresses);
  }

  private needsDropRule(vips: readonly unknown[]): boolean {
    return !this.deps.config().accept && this.deps.ports.firewall !== undefined && vips.length > 0;
  }

  /** No-accept mode (RFC 3768 §6.4.3): traffic to and from the VIPs is dropped while we hold them. */
  private async setDropRule(add: boolean, vips: readonly Ipv4[]): Promise<void> {
    const firewall = this.deps.ports.firewall;
    if (!this.needsDropRule(vips) || firewall === undefined) return;
    this.deps.say('info', `(${this.deps.name()}) ${add ? 'setting' : 'removing'} firewall drop rule`);
    const done = add ? await firewall.add(vips) : await firewall.remove(vips);
    if (!done.ok) this.deps.say('error', `(${this.deps.name()}) cannot ${add ? 'set' : 'remove'} firewall drop rule: ${done.error}`);
  }
}
