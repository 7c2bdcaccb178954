// A lab for the whole describe block plus a scratch directory removed with it (also when the
// process exits early); what test/lab/script-fds.test.ts and fd-limit.test.ts share.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { createLab, type Lab, type LabSpec } from '../../lab/netns.js';

/** Host A with eth0 on the usual segment and eth1 on one of its own (a second VRRP socket). */
export function twoInterfaceHost(): LabSpec['hosts'][number] {
  return {
    name: 'a',
    interfaces: [
      { name: 'eth0', addresses: ['192.0.2.11/24'] },
      { name: 'eth1', segment: 'lan2', addresses: ['198.51.100.11/24'] },
    ],
  };
}

export interface LabWithDir {
  readonly lab: Lab;
  /** Mode 0755, so that scripts running as nobody can reach what is put in it. */
  readonly dir: string;
}

/** Registers beforeAll/afterAll; `prepare` fills the directory before the lab is built. */
export function useLabWithDir(spec: LabSpec, prefix: string, prepare: (dir: string) => void = () => undefined): () => LabWithDir {
  let current: LabWithDir | undefined;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    chmodSync(dir, 0o755);
    prepare(dir);
    const lab = await createLab(spec);
    const remove = (): void => rmSync(dir, { recursive: true, force: true });
    lab.onDestroy(remove, remove);
    current = { lab, dir };
  }, 20_000);
  afterAll(async () => {
    await current?.lab.destroy();
  }, 20_000);
  return () => {
    if (current === undefined) throw new Error('useLabWithDir: used before beforeAll ran');
    return current;
  };
}
