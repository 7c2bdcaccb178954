// Tests that need something a host may lack (root, network namespaces, tcpdump, keepalived, a
// compiled dist/, systemd-analyze, ...) fail there, naming it, instead of being skipped: a run that
// reports green without having run them would hide a missing install step. Used where vitest's
// describe.skipIf / it.skipIf would be: `describeUnless(missing)(title, fn)`.
import { describe, it } from 'vitest';

type Body = () => void | Promise<void>;
type Register = (title: string, fn: Body, timeout?: number) => void;
export type Suite = Register & { readonly concurrent: Register };

/** One failing test in place of what could not run: its title says what was missing. */
function unmetTest(title: string, missing: unknown): void {
  const what = typeof missing === 'string' ? missing : 'what its title names';
  it(`cannot run on this host: ${title}`, () => {
    throw new Error(`this host lacks ${what} (scripts/setup.sh installs the tools; lab tests run as root)`);
  });
}

/** `describe` when nothing is missing (`missing` falsy), else a suite of one failing test. */
export function describeUnless(missing: unknown): Suite {
  if (!missing) return describe as unknown as Suite;
  const register: Register = (title) => describe(title, () => unmetTest(title, missing));
  return Object.assign(register, { concurrent: register });
}

/** `it` when nothing is missing (`missing` falsy), else one failing test in its place. */
export function itUnless(missing: unknown): Register {
  if (!missing) return it as unknown as Register;
  return (title) => unmetTest(title, missing);
}
