// The one version check at load (src/native/addon.ts): the addon's `abi` export against NATIVE_ABI,
// which must be native/abi.h's number; a build with another (or none) is refused in one sentence
// naming the file and how to rebuild it.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { abiMismatch, NATIVE_ABI, nativeAvailable } from '../../src/native/addon.js';
import { locateAddon } from '../../src/native/path.js';

const root = join(import.meta.dirname, '../..');

describe('the native addon ABI', () => {
  it("NATIVE_ABI is native/abi.h's VRRPD_NATIVE_ABI", () => {
    const m = /^#define VRRPD_NATIVE_ABI (\d+)$/m.exec(readFileSync(join(root, 'native', 'abi.h'), 'utf8'));
    expect(m?.[1]).toBe(String(NATIVE_ABI));
  });

  it('the addon this checkout loads exports that number, and is accepted', () => {
    const located = locateAddon();
    if (!located.ok) throw new Error(`no addon to load (run npm install): ${located.error}`);
    const exports = createRequire(import.meta.url)(located.value.path) as { abi?: unknown };
    expect(exports.abi).toBe(NATIVE_ABI);
    expect(abiMismatch(exports, located.value.path)).toBeUndefined();
    expect(nativeAvailable()).toEqual({ ok: true, value: undefined });
  });

  it('another number, or none (a build from before the number), is one sentence naming the file and the rebuild', () => {
    const file = '/opt/vrrpd/native/build/Release/vrrpd_native.node';
    expect(abiMismatch({ abi: NATIVE_ABI + 1, ifInfo: () => undefined }, file)).toBe(
      `${file} is a build of the native addon with ABI ${NATIVE_ABI + 1}, this vrrpd needs ABI ${NATIVE_ABI}: rebuild it with npm run install (scripts/install-native.js)`,
    );
    expect(abiMismatch({ ifInfo: () => undefined }, file)).toBe(
      `${file} is a build of the native addon with no ABI number, this vrrpd needs ABI ${NATIVE_ABI}: rebuild it with npm run install (scripts/install-native.js)`,
    );
    expect(abiMismatch(undefined, file)).toMatch(/with no ABI number/);
  });
});
