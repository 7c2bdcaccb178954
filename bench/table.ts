// The bench's one table: a row per figure, vrrpd and keepalived measured in the same run, their
// ratio, the target the row is held to and whether vrrpd met it. Pure, so the smoke test checks it.

export interface Figure {
  /** The headline number (ms, MB, %…), compared and used for the ratio. */
  readonly value: number;
  /** The worst sample, when there are several: the target is checked against it. */
  readonly worst?: number;
  /** Shown after the value, e.g. "max 3617.2". */
  readonly detail?: string;
}

export interface Target {
  /** What is promised, as printed. */
  readonly text: string;
  /** Given vrrpd's and keepalived's figures, is it kept? */
  readonly met: (vrrpd: number, keepalived: number | undefined) => boolean;
}

export interface Row {
  readonly metric: string;
  readonly unit: string;
  readonly vrrpd: Figure | undefined;
  readonly keepalived: Figure | undefined;
  readonly target?: Target;
  /** Decimals shown (default 1). */
  readonly digits?: number;
}

export type Verdict = 'met' | 'MISSED' | 'not measured' | '';

export function verdictOf(row: Row): Verdict {
  if (row.target === undefined) return '';
  if (row.vrrpd === undefined || Number.isNaN(row.vrrpd.value)) return 'not measured';
  return row.target.met(row.vrrpd.worst ?? row.vrrpd.value, row.keepalived?.value) ? 'met' : 'MISSED';
}

const fmt = (f: Figure | undefined, digits: number): string =>
  f === undefined || Number.isNaN(f.value) ? '-' : `${f.value.toFixed(digits)}${f.detail === undefined ? '' : ` (${f.detail})`}`;

function ratio(row: Row): string {
  const v = row.vrrpd?.value;
  const k = row.keepalived?.value;
  if (v === undefined || k === undefined || Number.isNaN(v) || Number.isNaN(k) || k === 0) return '-';
  return `${(v / k).toFixed(2)}x`;
}

/** Fixed-width text table; the header names the columns, `title` goes above it. */
export function formatTable(title: string, rows: readonly Row[]): string {
  const cells = [
    ['metric', 'unit', 'vrrpd', 'keepalived', 'ratio', 'target (vrrpd)', 'verdict'],
    ...rows.map((r) => {
      const d = r.digits ?? 1;
      return [r.metric, r.unit, fmt(r.vrrpd, d), fmt(r.keepalived, d), ratio(r), r.target?.text ?? '', verdictOf(r)];
    }),
  ];
  const widths = (cells[0] ?? []).map((_, i) => Math.max(...cells.map((c) => (c[i] ?? '').length)));
  const line = (c: readonly string[]): string => c.map((v, i) => v.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [title, line(cells[0] ?? []), rule, ...cells.slice(1).map(line)].join('\n');
}

// Targets of issue 7.

/** Within `toleranceMs` of the protocol's interval (seconds), either side. */
export const nearProtocol = (protocolS: number, toleranceMs = 5): Target => ({
  text: `${(protocolS * 1000).toFixed(1)} ms ±${toleranceMs}`,
  met: (v) => Math.abs(v - protocolS * 1000) <= toleranceMs,
});

export const under = (limit: number, unit: string): Target => ({ text: `< ${limit} ${unit}`, met: (v) => v < limit });

export const atMost = (limit: number, unit: string): Target => ({ text: `<= ${limit} ${unit}`, met: (v) => v <= limit });

export const withinFactorOfKeepalived = (factor: number): Target => ({
  text: `<= ${factor}x keepalived`,
  met: (v, k) => k !== undefined && v <= factor * k,
});

/** No worse than keepalived plus `slack`. */
export const noWorseThanKeepalived = (slack: number, unit: string): Target => ({
  text: `<= keepalived + ${slack} ${unit}`,
  met: (v, k) => k !== undefined && v <= k + slack,
});
