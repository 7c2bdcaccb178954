// SIGHUP reload, hitless (docs/reference/keepalived-behaviour.md#reload and #reload-side-effects).
// Three parts:
// - planReload (pure): old Config + new Config -> which instances are kept (matched as keepalived's
//   vrrp_exist matches them), added and removed; per kept instance its VIP diff and which
//   parameters changed. The daemon executes the plan (src/daemon/running.ts Running.reload).
// - loadForReload: the new config is read on a worker thread (config/load-thread.ts: the adverts go
//   on meanwhile, and a config that needs too much memory kills the worker, not the daemon), then
//   judged by `-t`'s own judgeConfig before anything is touched: any line `-t` calls an error
//   refuses the reload and leaves the running configuration alone (keepalived with
//   reload_check_config off would act on a half-read config, keepalived-behaviour.md#reload-side-effects).
// - createReloadQueue: a HUP while a reload runs is kept and run after it; further HUPs meanwhile
//   fold into that one (keepalived queues one).
import type { Config, InstanceConfig, VirtualIpConfig } from '../config/config.js';
import { formatDiagnostic } from '../config/config.js';
import type { LoadOptions, LoadResult } from '../config/load.js';
import { loadConfigInWorker } from '../config/load-thread.js';
import { judgeConfig, type EnvironmentCheck } from '../check/config-test.js';
import type { Logger } from '../log/logger.js';
import { diffVips, type VipDiff } from '../vrrp/vip-diff.js';

export interface KeptInstance {
  readonly old: InstanceConfig;
  readonly next: InstanceConfig;
  readonly vips: VipDiff<VirtualIpConfig>;
  /** InstanceConfig fields whose value changed (source positions ignored; VIPs are in `vips`). */
  readonly changed: readonly string[];
}

export interface ReloadPlan {
  readonly kept: readonly KeptInstance[];
  readonly added: readonly InstanceConfig[];
  readonly removed: readonly InstanceConfig[];
}

/**
 * keepalived's vrrp_exist(): same VRID, family (always IPv4 here) and interface, and the same
 * transport. Unicast instances must also have the same source address, else the search goes on;
 * multicast ones with a different group end the search (keepalived returns "no match" at once).
 */
export function matchInstance(old: InstanceConfig, next: InstanceConfig): 'match' | 'other' | 'none' {
  if (old.vrid !== next.vrid || old.interface !== next.interface) return 'other';
  const oldUnicast = old.unicastPeers.length > 0;
  if (oldUnicast !== next.unicastPeers.length > 0) return 'other';
  if (oldUnicast) return old.sourceAddress === next.sourceAddress ? 'match' : 'other';
  return old.multicastGroup === next.multicastGroup ? 'match' : 'none';
}

function findMatch(old: InstanceConfig, candidates: readonly InstanceConfig[], taken: ReadonlySet<InstanceConfig>): InstanceConfig | undefined {
  for (const next of candidates) {
    const m = matchInstance(old, next);
    if (m === 'none') return undefined;
    // A new instance stands for one old one only (the schema refuses duplicates; this is a guard).
    if (m === 'match' && !taken.has(next)) return next;
  }
  return undefined;
}

/** Where a VIP is: its address and prefix on its device (the instance's interface unless `dev`). */
const vipKey = (v: VirtualIpConfig, inst: InstanceConfig): string => `${v.address}/${v.prefixLength}@${v.dev ?? inst.interface}`;

function vipDiffOf(old: InstanceConfig, next: InstanceConfig): VipDiff<VirtualIpConfig> {
  // The instance's interface is the default device: the same in both, or they would not match.
  return diffVips(old.vips, next.vips, (v) => vipKey(v, next));
}

/** A value with every source position dropped, so moving a block in the file is no change. */
function withoutPos(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutPos);
  if (value !== null && typeof value === 'object' && !Buffer.isBuffer(value)) {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([k]) => k !== 'pos')
        .map(([k, v]) => [k, withoutPos(v)]),
    );
  }
  return value;
}

export function changedFields(old: InstanceConfig, next: InstanceConfig): string[] {
  const keys = new Set([...Object.keys(old), ...Object.keys(next)]);
  const changed: string[] = [];
  for (const k of keys) {
    if (k === 'pos' || k === 'vips') continue;
    const a = JSON.stringify(withoutPos((old as unknown as Record<string, unknown>)[k]));
    const b = JSON.stringify(withoutPos((next as unknown as Record<string, unknown>)[k]));
    if (a !== b) changed.push(k);
  }
  return changed;
}

export function planReload(old: Config, next: Config): ReloadPlan {
  const taken = new Set<InstanceConfig>();
  const kept: KeptInstance[] = [];
  const removed: InstanceConfig[] = [];
  for (const o of old.instances) {
    const n = findMatch(o, next.instances, taken);
    if (n === undefined) {
      removed.push(o);
      continue;
    }
    taken.add(n);
    kept.push({ old: o, next: n, vips: vipDiffOf(o, n), changed: changedFields(o, n) });
  }
  return { kept, added: next.instances.filter((n) => !taken.has(n)), removed };
}

/** One line per instance the reload touches (-D detail); unchanged kept instances say nothing. */
export function describePlan(plan: ReloadPlan): string[] {
  const lines: string[] = [];
  for (const r of plan.removed) lines.push(`(${r.name}) removed by the new configuration`);
  for (const a of plan.added) lines.push(`(${a.name}) added by the new configuration`);
  for (const k of plan.kept) {
    const parts: string[] = [];
    if (k.old.name !== k.next.name) parts.push(`renamed from ${k.old.name}`);
    const fields = k.changed.filter((f) => f !== 'name');
    if (fields.length > 0) parts.push(`changed ${fields.join(', ')}`);
    if (k.vips.added.length > 0) parts.push(`VIPs added ${k.vips.added.map((v) => v.address).join(', ')}`);
    if (k.vips.removed.length > 0) parts.push(`VIPs removed ${k.vips.removed.map((v) => v.address).join(', ')}`);
    if (parts.length > 0) lines.push(`(${k.next.name}) kept: ${parts.join('; ')}`);
  }
  return lines;
}

/** The message of a refused reload, after its `file:line` lines. */
export const RELOAD_FAILED = 'Reload failed: keeping the running configuration';

/** How a reload reads and checks (tests read in-process and fix the host's facts). */
export interface ReloadLoading {
  readonly load: (path: string, options: LoadOptions) => Promise<LoadResult>;
  readonly environment?: EnvironmentCheck;
}

const inWorker: ReloadLoading = { load: (path, options) => loadConfigInWorker(path, options) };

/**
 * Read the new config and judge it as `vrrpd -t` does (judgeConfig). Logs every problem, warnings
 * as warnings and `-t`'s errors as errors, and on any error RELOAD_FAILED; returns the config only
 * when the reload may go ahead.
 */
export async function loadForReload(
  path: string,
  load: LoadOptions | undefined,
  log: Pick<Logger, 'warn' | 'error'>,
  loading: ReloadLoading = inWorker,
): Promise<Config | undefined> {
  const verdict = await judgeConfig(await loading.load(path, load ?? {}), path, loading.environment);
  for (const d of verdict.diagnostics) {
    if (d.severity === 'error') log.error(formatDiagnostic(d));
    else log.warn(formatDiagnostic(d));
  }
  if (verdict.config === undefined) log.error(RELOAD_FAILED);
  return verdict.config;
}

export interface ReloadQueue {
  /** A HUP: run now, or once after the reload in progress (however many arrive meanwhile). */
  request(): void;
  /** Resolves once no reload runs or waits. */
  idle(): Promise<void>;
}

export function createReloadQueue(run: () => Promise<void>, onError: (e: unknown) => void): ReloadQueue {
  let running: Promise<void> | undefined;
  let again = false;
  const loop = async (): Promise<void> => {
    do {
      again = false;
      try {
        await run();
      } catch (e) {
        onError(e);
      }
    } while (again);
    running = undefined;
  };
  return {
    request() {
      if (running) {
        again = true;
        return;
      }
      running = loop();
    },
    idle() {
      return running ?? Promise.resolve();
    },
  };
}
