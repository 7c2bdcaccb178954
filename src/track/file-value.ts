// The number in a track_file, read as keepalived 2.2.8's process_track_file() (track_file.c) does:
// at most the first 127 bytes, then strtol(buf, NULL, 0): leading white space skipped, an optional
// sign, `0x`/`0X` for hex, a leading `0` for octal, digits up to the first character that is not
// one; nothing numeric (an empty file, garbage) is 0. An out-of-range number (outside
// INT32_MIN..INT32_MAX+1, or beyond a 64-bit long: ERANGE) is logged ("Invalid number N read from
// PATH - ignoring") and the previous value kept. A missing or unreadable file reads as 0.

/** keepalived reads into `char buf[128]` and keeps room for the NUL. */
export const TRACK_FILE_READ_BYTES = 127;

export type FileValue = { readonly kind: 'value'; readonly value: number } | { readonly kind: 'invalid'; readonly shown: string };

const INT32_MIN = -(2 ** 31);
/** keepalived accepts INT32_MAX + 1 (its check is `> INT32_MAX + 1`). */
const INT32_MAX_PLUS_1 = 2 ** 31;
const LONG_MAX = 2n ** 63n - 1n;
const LONG_MIN = -(2n ** 63n);

/** C isspace() in the C locale. */
const isSpace = (c: string): boolean => c === ' ' || (c >= '\t' && c <= '\r');

function digitValue(c: string): number {
  const code = c.charCodeAt(0);
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 122) return code - 87;
  if (code >= 65 && code <= 90) return code - 55;
  return 99;
}

/** strtol(text, NULL, 0) on a 64-bit long; undefined for ERANGE. */
export function strtol0(text: string): bigint | undefined {
  let i = 0;
  while (i < text.length && isSpace(text[i] ?? '')) i++;
  let negative = false;
  if (text[i] === '+' || text[i] === '-') {
    negative = text[i] === '-';
    i++;
  }
  let base = 10;
  if (text[i] === '0') {
    const x = text[i + 1];
    // "0x" counts as a hex prefix only when a hex digit follows; otherwise the "0" alone is read.
    if ((x === 'x' || x === 'X') && digitValue(text[i + 2] ?? '') < 16) {
      base = 16;
      i += 2;
    } else {
      base = 8;
    }
  }
  let value = 0n;
  for (; i < text.length; i++) {
    const d = digitValue(text[i] ?? '');
    if (d >= base) break;
    value = value * BigInt(base) + BigInt(d);
  }
  if (negative) value = -value;
  return value > LONG_MAX || value < LONG_MIN ? undefined : value;
}

/** The value of a track file's first bytes (pass at most TRACK_FILE_READ_BYTES of them). */
export function parseTrackFileValue(head: string): FileValue {
  const n = strtol0(head);
  if (n === undefined) return { kind: 'invalid', shown: head.trim().slice(0, 40) };
  const value = Number(n);
  if (value < INT32_MIN || value > INT32_MAX_PLUS_1) return { kind: 'invalid', shown: String(n) };
  return { kind: 'value', value };
}
