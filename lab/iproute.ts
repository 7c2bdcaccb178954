// Parsers for what iproute2 (`ip -j neigh`, `ip -j addr`) and iputils ping print inside a lab host.
// Pure, so they are unit-tested without root.

export interface NeighEntry {
  /** Absent for INCOMPLETE / FAILED entries. */
  readonly mac: string | undefined;
  /** e.g. REACHABLE, STALE, DELAY, PROBE, FAILED, INCOMPLETE, PERMANENT (ip's state list, comma-joined). */
  readonly state: string;
}

export interface AddressEntry {
  readonly ifname: string;
  readonly family: 'inet' | 'inet6';
  readonly address: string;
  readonly prefixlen: number;
  readonly label: string | undefined;
  readonly scope: string;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

function parseJsonArray(text: string): unknown[] {
  try {
    const v: unknown = JSON.parse(text.trim() === '' ? '[]' : text);
    return Array.isArray(v) ? v : [];
  } catch {
    return [];
  }
}

/** `ip -j neigh` output → the entry for `ip`. States come as a list, e.g. ["REACHABLE"]. */
export function parseNeighJson(text: string, ip: string): NeighEntry | undefined {
  for (const e of parseJsonArray(text)) {
    if (!isRecord(e) || e['dst'] !== ip) continue;
    const states = e['state'];
    const state = Array.isArray(states) ? states.map(String).join(',') : typeof states === 'string' ? states : 'NONE';
    const mac = typeof e['lladdr'] === 'string' ? e['lladdr'].toLowerCase() : undefined;
    return { mac, state };
  }
  return undefined;
}

/** `ip -j addr` output → one entry per address. */
export function parseAddrJson(text: string): AddressEntry[] {
  const out: AddressEntry[] = [];
  for (const link of parseJsonArray(text)) {
    if (!isRecord(link) || typeof link['ifname'] !== 'string' || !Array.isArray(link['addr_info'])) continue;
    for (const a of link['addr_info']) {
      if (!isRecord(a) || (a['family'] !== 'inet' && a['family'] !== 'inet6') || typeof a['local'] !== 'string') continue;
      out.push({
        ifname: link['ifname'],
        family: a['family'],
        address: a['local'],
        prefixlen: typeof a['prefixlen'] === 'number' ? a['prefixlen'] : 0,
        label: typeof a['label'] === 'string' ? a['label'] : undefined,
        scope: typeof a['scope'] === 'string' ? a['scope'] : '',
      });
    }
  }
  return out;
}

/** iputils ping output → counts from the summary and one round-trip time per reply line. */
export function parsePingSummary(text: string): { transmitted: number; received: number; rttMs: number[] } {
  const counts = /(\d+) packets transmitted, (\d+) (?:packets )?received/.exec(text);
  const rttMs = [...text.matchAll(/ time=([\d.]+) ms/g)].map((m) => Number(m[1]));
  return {
    transmitted: counts ? Number(counts[1]) : 0,
    received: counts ? Number(counts[2]) : 0,
    rttMs,
  };
}
