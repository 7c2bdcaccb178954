// Access to the real keepalived 2.2.7 / FRR captures: every frame with its IPv4 datagram and the
// fields tshark decoded for it (.fields.tsv), plus the .hex.txt dumps as an independent source.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { ipv4FromFrame, LINKTYPE_ETHERNET, parsePcap } from '../../lab/pcap.js';

/** Copies of the project's shared captures and keepalived's samples, so tests run from any clone. */
export const FIXTURES_DIR = fileURLToPath(new URL('../fixtures/', import.meta.url));
/** Where the captures live; VRRPD_CAPTURES overrides it. */
export const CAPTURES_DIR = process.env['VRRPD_CAPTURES'] ?? join(FIXTURES_DIR, 'captures');
export const KEEPALIVED_SAMPLES_DIR = join(FIXTURES_DIR, 'keepalived-samples');

export const CAPTURE_NAMES = [
  'keepalived-adverts-steady',
  'keepalived-startup',
  'keepalived-prio0-sigterm',
  'keepalived-sigterm-full',
  'keepalived-garp-takeover',
  'keepalived-strict-adverts-steady',
  'frr-adverts-steady',
] as const;
export type CaptureName = (typeof CAPTURE_NAMES)[number];

export interface CapturedFrame {
  /** 1-based, as tshark numbers frames. */
  readonly number: number;
  readonly t: number;
  readonly frame: Buffer;
  /** The IPv4 datagram (Ethernet header stripped), undefined for ARP. */
  readonly datagram: Buffer | undefined;
  /** tshark's fields for this frame, by column name (empty string when absent). */
  readonly fields: Readonly<Record<string, string>>;
}

export function capturePath(name: CaptureName, extension: '.pcap' | '.hex.txt' | '.fields.tsv'): string {
  return join(CAPTURES_DIR, `${name}${extension}`);
}

export function readFieldsTsv(name: CaptureName): Record<string, string>[] {
  const [header, ...rows] = readFileSync(capturePath(name, '.fields.tsv'), 'utf8').split('\n').filter((l) => l !== '');
  const columns = (header ?? '').split('\t');
  return rows.map((row) => {
    const cells = row.split('\t');
    return Object.fromEntries(columns.map((column, i) => [column, cells[i] ?? '']));
  });
}

/** The frames of a .hex.txt dump (`0000  01 00 5e ...   ascii` lines, blank line between frames). */
export function readHexDump(name: CaptureName): Buffer[] {
  return parseHexDump(readFileSync(capturePath(name, '.hex.txt'), 'utf8'));
}

/** The frames of a hex dump's text (readHexDump's format). */
export function parseHexDump(text: string): Buffer[] {
  return text
    .split(/\n\s*\n/)
    .filter((block) => block.trim() !== '')
    .map((block) =>
      Buffer.from(
        block
          .split('\n')
          .map((line) => /^[0-9a-f]{4}\s+((?:[0-9a-f]{2} ?)+)/i.exec(line)?.[1] ?? '')
          .join('')
          .replace(/\s+/g, ''),
        'hex',
      ),
    );
}

export function readCapture(name: CaptureName): CapturedFrame[] {
  const parsed = parsePcap(readFileSync(capturePath(name, '.pcap')));
  if (!parsed.ok) throw new Error(`${name}: ${parsed.error}`);
  if (parsed.value.linkType !== LINKTYPE_ETHERNET) throw new Error(`${name}: link type ${parsed.value.linkType}`);
  const fields = readFieldsTsv(name);
  return parsed.value.records.map((record, i) => ({
    number: i + 1,
    t: record.t,
    frame: record.data,
    datagram: ipv4FromFrame(LINKTYPE_ETHERNET, record.data),
    fields: fields[i] ?? {},
  }));
}

/** The VRRP frames only (IP protocol 112), e.g. to skip the IGMP reports and GARPs in startup. */
export function vrrpFrames(name: CaptureName): (CapturedFrame & { readonly datagram: Buffer })[] {
  return readCapture(name).filter(
    (f): f is CapturedFrame & { datagram: Buffer } => f.datagram !== undefined && f.datagram[9] === 112,
  );
}
