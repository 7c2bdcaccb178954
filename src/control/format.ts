// `vrrpd status` for a person: one table of instances (who is MASTER, since when, why), then per
// instance what it tracks, what it dropped and which peers disagree with its config.
import type { InstanceStatus, StatusReport } from './status.js';

function table(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ').trimEnd());
}

/** "12s ago", "3m04s ago", "2h05m ago", "3d02h ago". */
export function ago(fromIso: string, nowIso: string): string {
  const s = Math.max(0, Math.round((Date.parse(nowIso) - Date.parse(fromIso)) / 1000));
  const two = (n: number): string => String(n).padStart(2, '0');
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m${two(s % 60)}s ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${two(Math.floor(s / 60) % 60)}m ago`;
  return `${Math.floor(s / 86400)}d${two(Math.floor(s / 3600) % 24)}h ago`;
}

function masterCell(i: InstanceStatus): string {
  if (i.master === null) return '-';
  return i.master.self ? `this node (${i.master.address})` : `${i.master.address} (prio ${i.master.priority})`;
}

function details(i: InstanceStatus): string[] {
  const lines: string[] = [];
  const fault = i.faultReasons.length > 0 ? `  fault: ${i.faultReasons.join('; ')}` : '';
  lines.push(`${i.name}: vrid ${i.vrid} on ${i.interface} from ${i.ownAddress}, VIPs ${i.vips.join(', ') || '-'}${i.vipsSet ? ' (set here)' : ''}${fault}`);
  for (const t of i.tracked) {
    const weight = t.weight === undefined ? '' : ` weight ${t.weight}`;
    lines.push(`  track ${t.kind} ${t.name}${weight}: ${t.result}${t.detail === undefined ? '' : ` (${t.detail})`}`);
  }
  const c = i.counters;
  const drops = Object.entries(c.drops).map(([reason, n]) => `${reason} ${n}`);
  lines.push(`  adverts in ${c.advertReceived}, out ${c.advertSent}; became master ${c.becameMaster}, released ${c.releasedMaster}; priority 0 in ${c.priorityZeroReceived}, out ${c.priorityZeroSent}`);
  lines.push(`  drops: ${drops.length === 0 ? 'none' : drops.join(', ')}`);
  for (const p of i.peers) lines.push(`  peer ${p.address} ${p.active ? 'MISMATCH' : 'was mismatched'} (${p.cause}, ${p.count} adverts ignored): ${p.message}`);
  return lines;
}

export function formatStatus(report: StatusReport): string {
  const rows: string[][] = [['INSTANCE', 'STATE', 'PRIO', 'MASTER', 'VIPS', 'SINCE', 'REASON']];
  for (const i of report.instances) {
    const prio = i.effectivePriority === i.basePriority ? String(i.basePriority) : `${i.effectivePriority}/${i.basePriority}`;
    const vips = i.vips.map((v) => v.split('/')[0] ?? v).join(',');
    const t = i.lastTransition;
    rows.push([i.name, i.state, prio, masterCell(i), vips || '-', t === null ? '-' : ago(t.at, report.takenAt), t === null ? '-' : t.reason]);
  }
  const head = `vrrpd v${report.version}, pid ${report.pid}, up since ${report.startedAt}`;
  const unmatched = Object.entries(report.unmatchedDrops).map(([r, n]) => `${r} ${n}`);
  return [
    head,
    '',
    ...table(rows),
    '',
    ...report.instances.flatMap(details),
    ...(unmatched.length > 0 ? [`drops for no instance: ${unmatched.join(', ')}`] : []),
    '(PRIO: effective/base when tracking moved it)',
  ].join('\n') + '\n';
}
