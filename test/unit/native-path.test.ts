// Which addon file is loaded (src/native/path.ts): the prebuild for this host's architecture, unless
// this checkout's addon source is newer than it; else the build from source.
import { describe, expect, it } from 'vitest';
import { chooseAddon, locateAddon } from '../../src/native/path.js';

describe('chooseAddon', () => {
  it('a prebuild wins over a build from source', () => {
    expect(chooseAddon({ prebuild: 2000, fromSource: 3000, source: 1000 }, 'linux-x64')).toEqual({ pick: 'prebuild', why: 'prebuilt for linux-x64' });
  });

  it('a package without the source (as shipped) takes the prebuild whatever the times', () => {
    expect(chooseAddon({ prebuild: 1 }, 'linux-arm64')).toEqual({ pick: 'prebuild', why: 'prebuilt for linux-arm64' });
  });

  it('equal times (npm pack sets every mtime to the same date) keep the prebuild', () => {
    expect(chooseAddon({ prebuild: 5, fromSource: 5, source: 5 }, 'linux-x64').pick).toBe('prebuild');
  });

  it('a prebuild older than the source is stale: the build from source is taken, and the line says why', () => {
    expect(chooseAddon({ prebuild: 1000, fromSource: 3000, source: 2000 }, 'linux-x64')).toEqual({
      pick: 'fromSource',
      why: 'built from source (the linux-x64 prebuild is older than native/addon.cc)',
    });
  });

  it('no prebuild for this architecture: the build from source', () => {
    expect(chooseAddon({ fromSource: 3000, source: 2000 }, 'linux-riscv64')).toEqual({ pick: 'fromSource', why: 'built from source (no prebuild for linux-riscv64)' });
  });

  it('neither: an error that says what is missing', () => {
    expect(chooseAddon({ source: 2000 }, 'linux-x64')).toEqual({ pick: undefined, why: 'no prebuild for linux-x64 and no build from source (run npm install)' });
    expect(chooseAddon({ prebuild: 1000, source: 2000 }, 'linux-x64').why).toBe(
      'the linux-x64 prebuild is older than native/addon.cc and no build from source (run npm install)',
    );
  });
});

describe('locateAddon in this checkout', () => {
  it('an architecture nobody builds for falls to the build from source, or says it is missing', () => {
    const r = locateAddon('linux-none');
    if (r.ok) expect(r.value.note).toBe('native/build/Release/vrrpd_native.node, built from source (no prebuild for linux-none)');
    else expect(r.error).toMatch(/: no prebuild for linux-none and no build from source \(run npm install\)$/);
  });
});
