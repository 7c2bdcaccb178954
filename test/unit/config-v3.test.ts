// `version 3` / `vrrp_version 3` and advert_int in centiseconds: still refused (vrrpd speaks
// VRRPv2), and beside the refusal what keepalived 2.2.7 reports for such an instance
// (docs/reference/keepalived-behaviour.md#vrrpv3-and-ipv6, each message measured with its `-t`).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { fitAdvertIntV3, V3_MAX_ADVERT_INT_CS } from '../../src/config/advert-int.js';
import { formatDiagnostic } from '../../src/config/config.js';
import { parseConfigText } from '../../src/config/load.js';

const lines = (...ls: string[]): string => `${ls.join('\n')}\n`;
/** An instance (lines 1..7 fixed); `body` starts at line 7. */
const instance = (...body: string[]): string =>
  lines('vrrp_instance VI_1 {', 'interface eth0', 'virtual_router_id 51', 'virtual_ipaddress {', '192.0.2.200', '}', ...body, '}');
const withGlobals = (globals: string[], ...body: string[]): string =>
  lines('global_defs {', ...globals, '}') + instance(...body);

const load = (text: string) => parseConfigText(text, 's.conf');
const errors = (text: string): string[] => load(text).diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic);
const corrected = (text: string): string[] => load(text).diagnostics.filter((d) => d.kind === 'corrected').map(formatDiagnostic);
const REFUSED = "s.conf:7: 'version 3': VRRPv3 is not supported (vrrpd speaks VRRPv2, RFC 3768)";

describe('version 3 stays refused, at its line, with no instance config made', () => {
  it('instance version 3', () => {
    const r = load(instance('version 3'));
    expect(r.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic)).toEqual([REFUSED]);
    expect(r.config?.instances ?? []).toEqual([]);
  });

  it('global vrrp_version 3, inherited by an instance without version', () => {
    const text = withGlobals(['vrrp_version 3'], 'advert_int 0.015');
    expect(errors(text)).toEqual(["s.conf:2: 'vrrp_version 3': VRRPv3 is not supported (vrrpd speaks VRRPv2, RFC 3768)"]);
    // The instance is v3 by inheritance: v3's rounding, not v2's.
    expect(corrected(text)).toEqual(['s.conf:10: (VI_1) VRRPv3 advertisement interval 0.015000s must be in units of 10ms - rounding: to 0.02s']);
  });

  it('an instance with version 2 under vrrp_version 3 keeps v2 rules', () => {
    const text = withGlobals(['vrrp_version 3'], 'version 2', 'advert_int 1.5');
    expect(corrected(text)).toEqual(['s.conf:11: (VI_1) VRRPv2 advert_int must be a whole number of seconds: 1.5 rounded to 2']);
  });

  it('another number is not valid', () => {
    expect(errors(instance('version 4'))).toEqual(["s.conf:7: 'version' value '4' is not valid: must be 2 or 3"]);
  });
});

describe("what keepalived reports beside the refusal (its -t's words)", () => {
  it.each([
    ['0.015', 'VRRPv3 advertisement interval 0.015000s must be in units of 10ms - rounding: to 0.02s'],
    ['0.014', 'VRRPv3 advertisement interval 0.014000s must be in units of 10ms - rounding: to 0.01s'],
    ['50', 'VRRPv3 advertisement interval 50.00s is out of range. Must be less than 40.96s. Setting to 40.95s'],
    [
      '40.955',
      'VRRPv3 advertisement interval 40.955000s must be in units of 10ms - rounding: to 40.95s (keepalived rounds to 40.96s, ' +
        'which the 12-bit Max Adver Int field carries as 0, and a backup hearing 0 takes over at once)',
    ],
  ])('advert_int %s', (value, message) => {
    const text = instance('version 3', `advert_int ${value}`);
    expect(errors(text)).toEqual([REFUSED]);
    expect(corrected(text)).toEqual([`s.conf:8: (VI_1) ${message}`]);
  });

  it('advert_int 0.1 and 40.95 need no correction in v3', () => {
    expect(corrected(instance('version 3', 'advert_int 0.1'))).toEqual([]);
    expect(corrected(instance('version 3', 'advert_int 40.95'))).toEqual([]);
  });

  it('advert_int below 0.01 s is out of the parser range whatever the version', () => {
    expect(errors(instance('version 3', 'advert_int 0.001'))).toEqual([
      REFUSED,
      "s.conf:8: 'advert_int' value '0.001' is not valid: must be a number of seconds 0.01..255",
    ]);
  });

  it('authentication is dropped in v3', () => {
    const text = instance('version 3', 'authentication {', 'auth_type PASS', 'auth_pass 1111', '}');
    expect(corrected(text)).toEqual(['s.conf:9: (VI_1) VRRP version 3 does not support authentication. Ignoring.']);
  });

  it('no VIP is an error in v3 (keepalived removes the instance)', () => {
    const text = lines('vrrp_instance VI_1 {', 'interface eth0', 'virtual_router_id 51', 'version 3', '}');
    expect(errors(text)).toEqual([
      's.conf:1: (VI_1) No VIP specified; at least one is required (VRRPv3)',
      "s.conf:4: 'version 3': VRRPv3 is not supported (vrrpd speaks VRRPv2, RFC 3768)",
    ]);
  });

  it('strict mode does not reset accept in v3 (RFC 5798 has Accept_Mode)', () => {
    const v3 = instance('version 3', 'strict_mode', 'accept');
    expect(corrected(v3).filter((m) => m.includes('accept mode'))).toEqual([]);
    const v2 = instance('strict_mode', 'accept');
    expect(corrected(v2).filter((m) => m.includes('accept mode'))).toHaveLength(1);
  });
});

describe('fitAdvertIntV3', () => {
  it('always lands on the 10 ms grid within 10 ms..40.95 s, and leaves grid values alone', () => {
    fc.assert(
      fc.property(fc.integer({ min: 10_000, max: 255_000_000 }), (us) => {
        const { us: fitted, correction } = fitAdvertIntV3(us);
        expect(fitted % 10_000).toBe(0);
        expect(fitted).toBeGreaterThanOrEqual(10_000);
        expect(fitted).toBeLessThanOrEqual(V3_MAX_ADVERT_INT_CS * 10_000);
        expect(correction === undefined).toBe(us % 10_000 === 0 && us < 40_960_000);
        if (us < 40_950_000) expect(Math.abs(fitted - us)).toBeLessThanOrEqual(5_000);
      }),
    );
  });
});
