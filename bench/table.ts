// The bench's one table: a row per figure, vrrpd and keepalived measured in the same run, their
// ratio, the target the row is held to and whether vrrpd met it; with --baseline, a third column
// (another vrrpd checkout, measured in the same run) and whether vrrpd is no worse than it. Pure,
// so the smoke test checks it.

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
  /** The --baseline checkout's vrrpd, measured the same way in the same run. */
  readonly baseline?: Figure | undefined;
  /** How much above the baseline still reads as no worse (default: 5 % of it, at least one shown digit). */
  readonly baselineSlack?: number;
  /** A reference figure (node -e 0), shown for every column and judged in none. */
  readonly reference?: boolean;
  readonly target?: Target;
  /** Decimals shown (default 1). */
  readonly digits?: number;
}

export type BaselineVerdict = 'no worse' | 'WORSE' | '';

/**
 * Every figure of the table is better lower (time, memory, CPU, lateness, counts), so vrrpd is no
 * worse than the baseline when it is at most the baseline plus the row's slack (noise between two
 * runs of the same build is a few percent; a takeover row says its own, in ms).
 */
export function baselineVerdictOf(row: Row): BaselineVerdict {
  const v = row.vrrpd?.value;
  const b = row.baseline?.value;
  if (row.reference === true || v === undefined || b === undefined || Number.isNaN(v) || Number.isNaN(b)) return '';
  const slack = row.baselineSlack ?? Math.max(0.05 * Math.abs(b), 10 ** -(row.digits ?? 1));
  return v <= b + slack ? 'no worse' : 'WORSE';
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

/**
 * Fixed-width text table; the header names the columns, `title` goes above it. The baseline's two
 * columns are there when `withBaseline` (the bench's --baseline), a row it has no figure for left
 * blank.
 */
export function formatTable(title: string, rows: readonly Row[], withBaseline = false): string {
  const cells = [
    ['metric', 'unit', 'vrrpd', 'keepalived', 'ratio', 'target (vrrpd)', 'verdict', ...(withBaseline ? ['baseline', 'vs baseline'] : [])],
    ...rows.map((r) => {
      const d = r.digits ?? 1;
      const base = withBaseline ? [fmt(r.baseline, d), baselineVerdictOf(r)] : [];
      return [r.metric, r.unit, fmt(r.vrrpd, d), fmt(r.keepalived, d), ratio(r), r.target?.text ?? '', verdictOf(r), ...base];
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

/** Issue 18's start-up target: at most `slack` ms more than `node -e 0` (its median `nodeMs`) timed the same way. */
export const nodeStartPlus = (nodeMs: number | undefined, slack: number): Target => ({
  text: nodeMs === undefined ? `<= node -e 0 + ${slack} ms` : `<= node -e 0 + ${slack} ms (${(nodeMs + slack).toFixed(1)})`,
  met: (v) => nodeMs !== undefined && v <= nodeMs + slack,
});
