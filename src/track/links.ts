// Which tracked interfaces are up, from rtnetlink's link dump and events. keepalived counts a
// link up when IFF_UP and IFF_RUNNING are both set (vrrp_if.h FLAGS_UP); IFF_RUNNING is the
// kernel's "operationally up" (carrier, and not dormant). LinkInfo from net/rtnl.ts carries
// IFF_LOWER_UP (carrier) rather than IFF_RUNNING; the two differ only for dormant links (802.1X
// before authentication) and devices without a carrier notion, so `running` is used when the
// source provides it and carrier otherwise.
//
// Pure: the table is keyed by ifindex (a link deleted and created again under the same name gets
// a new index), and every function returns the new table with the changes and keepalived's lines
// (keepalived_netlink.c: "Netlink reports eth0 down", "Interface eth0 deleted", "Interface eth0
// added", "Interface name has changed from a to b"), for tracked names only.

export interface LinkFlags {
  readonly index: number;
  readonly name: string;
  readonly up: boolean;
  readonly lowerUp: boolean;
  /** IFF_RUNNING, when the source reports it. */
  readonly running?: boolean;
}

export type LinkEvent =
  | { readonly kind: 'link'; readonly link: LinkFlags }
  | { readonly kind: 'linkDeleted'; readonly index: number; readonly name: string };

export interface LinkEntry {
  readonly name: string;
  readonly up: boolean;
}

export type LinkTable = ReadonlyMap<number, LinkEntry>;

export interface LinkChange {
  readonly name: string;
  readonly up: boolean;
}

export interface LinkUpdate {
  readonly table: LinkTable;
  /** Tracked names whose up/down state changed (a missing link is down). */
  readonly changes: readonly LinkChange[];
  readonly logs: readonly string[];
}

/** keepalived's FLAGS_UP(): IFF_UP && IFF_RUNNING. */
export function linkIsUp(l: LinkFlags): boolean {
  return l.up && (l.running ?? l.lowerUp);
}

export function isNameUp(table: LinkTable, name: string): boolean {
  for (const e of table.values()) if (e.name === name && e.up) return true;
  return false;
}

function hasName(table: LinkTable, name: string): boolean {
  for (const e of table.values()) if (e.name === name) return true;
  return false;
}

export function tableFrom(links: readonly LinkFlags[]): LinkTable {
  return new Map(links.map((l) => [l.index, { name: l.name, up: linkIsUp(l) }]));
}

function changesBetween(before: LinkTable, after: LinkTable, names: Iterable<string>, tracked: ReadonlySet<string>): LinkChange[] {
  const out: LinkChange[] = [];
  const seen = new Set<string>();
  for (const name of names) {
    if (!tracked.has(name) || seen.has(name)) continue;
    seen.add(name);
    const was = isNameUp(before, name);
    const now = isNameUp(after, name);
    if (was !== now) out.push({ name, up: now });
  }
  return out;
}

/** One RTM_NEWLINK / RTM_DELLINK. RTM_NEWLINK repeats for any change; only up/down matters here. */
export function applyLinkEvent(table: LinkTable, event: LinkEvent, tracked: ReadonlySet<string>): LinkUpdate {
  const next = new Map(table);
  const logs: string[] = [];
  if (event.kind === 'linkDeleted') {
    const old = table.get(event.index);
    if (old === undefined) return { table, changes: [], logs };
    next.delete(event.index);
    if (tracked.has(old.name)) logs.push(`Interface ${old.name} deleted`);
    return { table: next, changes: changesBetween(table, next, [old.name], tracked), logs };
  }
  const l = event.link;
  const up = linkIsUp(l);
  const old = table.get(l.index);
  next.set(l.index, { name: l.name, up });
  if (old === undefined) {
    if (tracked.has(l.name)) logs.push(`Interface ${l.name} added`);
  } else if (old.name !== l.name) {
    if (tracked.has(old.name) || tracked.has(l.name)) logs.push(`Interface name has changed from ${old.name} to ${l.name}`);
  }
  const changes = changesBetween(table, next, old === undefined ? [l.name] : [old.name, l.name], tracked);
  for (const c of changes) {
    // A tracked link renamed away or gone is reported by the lines above; up/down is netlink's.
    if (c.name === l.name) logs.push(`Netlink reports ${c.name} ${c.up ? 'up' : 'down'}`);
  }
  return { table: next, changes, logs };
}

/** A fresh dump after lost events (ENOBUFS): what changed since the table we had. */
export function resyncLinks(table: LinkTable, links: readonly LinkFlags[], tracked: ReadonlySet<string>): LinkUpdate {
  const next = tableFrom(links);
  const names = new Set<string>([...table.values(), ...next.values()].map((e) => e.name));
  const changes = changesBetween(table, next, names, tracked);
  const logs: string[] = [];
  for (const c of changes) {
    if (!c.up && !hasName(next, c.name)) logs.push(`Interface ${c.name} deleted`);
    else logs.push(`Netlink reports ${c.name} ${c.up ? 'up' : 'down'}`);
  }
  return { table: next, changes, logs };
}
