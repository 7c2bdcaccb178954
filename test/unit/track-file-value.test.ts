// The number in a track_file as keepalived 2.2.8 reads it: strtol(buf, NULL, 0) on the first 127
// bytes; nothing numeric is 0; out of range is ignored.
import { describe, expect, it } from 'vitest';
import { parseTrackFileValue, strtol0 } from '../../src/track/file-value.js';

const value = (text: string): number | string => {
  const v = parseTrackFileValue(text);
  return v.kind === 'value' ? v.value : 'invalid';
};

describe('parseTrackFileValue', () => {
  it.each([
    ['5\n', 5],
    ['  -12  \n', -12],
    ['+7', 7],
    ['\t\n\v\f\r 3', 3],
    ['0', 0],
    ['', 0],
    ['\n', 0],
    ['garbage', 0],
    ['12abc', 12],
    ['1e3', 1],
    ['3.9', 3],
    ['0x10', 16],
    ['0X1f', 31],
    ['-0x10', -16],
    ['0x', 0], // "0" is read, "x" stops it
    ['0xg', 0],
    ['010', 8], // octal
    ['08', 0], // "0" then 8 is not octal
    ['- 5', 0],
    ['--5', 0],
    ['5 6', 5],
    ['2147483648', 2147483648], // INT32_MAX + 1 is accepted (keepalived's check)
    ['-2147483648', -2147483648],
  ] as const)('%j reads as %d', (text, expected) => {
    expect(value(text)).toBe(expected);
  });

  it.each(['2147483649', '-2147483649', '99999999999999999999', '-99999999999999999999', '0x7fffffffffffffffff'])('%s is out of range: ignored', (text) => {
    expect(value(text)).toBe('invalid');
  });
});

describe('strtol0', () => {
  it('is a 64-bit long: ERANGE beyond it', () => {
    expect(strtol0('9223372036854775807')).toBe(9223372036854775807n);
    expect(strtol0('9223372036854775808')).toBeUndefined();
    expect(strtol0('-9223372036854775808')).toBe(-9223372036854775808n);
  });
});
