// No-accept mode (RFC 3768 §6.4.3: a master that is not the address owner MUST NOT accept packets
// addressed to the VIPs) enforced as keepalived does it: firewall rules that drop IP traffic to and
// from the VIPs while the instance holds them. nftables first, with keepalived's own layout
// (measured with 2.2.7 and vrrp_strict in a lab namespace):
//
//   table ip keepalived {
//     set vips { type ipv4_addr; elements = { 192.0.2.200 } }
//     chain out { type filter hook output priority filter - 1; policy accept; ip saddr @vips drop }
//     chain in  { type filter hook input  priority filter - 1; policy accept; ip daddr @vips drop }
//   }
//
// under the table name `vrrpd` (or global_defs `nftables NAME`, priority `nftables_priority`), so
// the two daemons never remove each other's rules. keepalived creates the table at its first VIP,
// adds and deletes set elements with the VIPs, keeps the (empty) table in BACKUP and deletes it at
// exit; a crash leaves it behind, so start-up removes it. `vrrp_iptables IN OUT`: rules appended
// to those chains, as keepalived does; else iptables in chains of our own jumped to from
// INPUT/OUTPUT when nft is not usable. Everything runs
// the `nft`/`iptables` commands in the daemon's own network namespace: the daemon is the only
// process here and never enters another namespace.
import type { LineLog } from '../log/lines.js';
import type { ChildProcess } from 'node:child_process';
import { guardedSpawn } from '../host/exec-guard.js';
import { err, ok, type Ipv4, type Result } from '../types.js';

export type FirewallBackend = 'nftables' | 'iptables';

/** Runs one command (stdin optional); the error text is the command's stderr or why it did not run. */
export type CommandRunner = (argv: readonly string[], stdin?: string) => Promise<Result<string, string>>;

export const NFT_TABLE = 'vrrpd';
export const IPTABLES_IN_CHAIN = 'vrrpd-in';
export const IPTABLES_OUT_CHAIN = 'vrrpd-out';
/** keepalived's default chain priority: just before the filter tables (vrrp_nf_chain_priority). */
export const NFT_PRIORITY = -1;

/**
 * Where the rules go, from global_defs: `nftables [TABLE]` (keepalived's name when given without
 * one: keepalived), `nftables_priority N`, and `vrrp_iptables [IN [OUT]]`, with which keepalived
 * appends its rules to those chains (INPUT/OUTPUT by default) instead of using nftables.
 */
export interface FirewallSettings {
  readonly table: string;
  readonly priority: number;
  readonly iptables?: { readonly inChain: string; readonly outChain: string | undefined };
}

export const DEFAULT_FIREWALL: FirewallSettings = { table: NFT_TABLE, priority: NFT_PRIORITY };

/** The settings from the config's global firewall keywords. */
export function firewallSettings(g: {
  readonly nftablesTable: string | undefined;
  readonly nftablesPriority: number | undefined;
  readonly iptables: { readonly inChain: string; readonly outChain: string | undefined } | undefined;
}): FirewallSettings {
  return {
    table: g.nftablesTable ?? NFT_TABLE,
    priority: g.nftablesPriority ?? NFT_PRIORITY,
    ...(g.iptables === undefined ? {} : { iptables: g.iptables }),
  };
}

/** keepalived's log line when it picks the firewall (vrrp_firewall.c), "nftables" or "iptables". */
export const backendLine = (backend: FirewallBackend): string =>
  `use_vmac or no_accept/strict specified, but no firewall configured - using ${backend}`;

// ---------------------------------------------------------------------------------------------
// nftables scripts (pure). `add table` then `delete table` always succeeds, in one transaction.

export function nftRemoveTableScript(table = NFT_TABLE): string {
  return `add table ip ${table}\ndelete table ip ${table}\n`;
}

/** `priority filter - 1` as nft lists keepalived's chains. */
function nftPriority(priority: number): string {
  if (priority === 0) return 'filter';
  return `filter ${priority < 0 ? '-' : '+'} ${Math.abs(priority)}`;
}

/** A fresh table with keepalived's layout and the given VIPs, replacing whatever was there. */
export function nftCreateScript(vips: readonly Ipv4[], fw: FirewallSettings = DEFAULT_FIREWALL): string {
  const prio = nftPriority(fw.priority);
  return (
    nftRemoveTableScript(fw.table) +
    `table ip ${fw.table} {\n` +
    '  set vips {\n    type ipv4_addr\n  }\n' +
    `  chain out {\n    type filter hook output priority ${prio}; policy accept;\n    ip saddr @vips drop\n  }\n` +
    `  chain in {\n    type filter hook input priority ${prio}; policy accept;\n    ip daddr @vips drop\n  }\n` +
    '}\n' +
    (vips.length > 0 ? nftElementScript('add', vips, fw.table) : '')
  );
}

export function nftElementScript(op: 'add' | 'delete', vips: readonly Ipv4[], table = NFT_TABLE): string {
  return `${op} element ip ${table} vips { ${vips.join(', ')} }\n`;
}

// ---------------------------------------------------------------------------------------------
// iptables commands (pure)

const ipt = (...args: string[]): string[] => ['iptables', '-w', ...args];

export function iptablesSetupCommands(): string[][] {
  return [
    ipt('-N', IPTABLES_IN_CHAIN),
    ipt('-N', IPTABLES_OUT_CHAIN),
    ipt('-I', 'INPUT', '-j', IPTABLES_IN_CHAIN),
    ipt('-I', 'OUTPUT', '-j', IPTABLES_OUT_CHAIN),
  ];
}

/** Each may fail (nothing left over): run them all, ignore the failures. */
export function iptablesCleanupCommands(): string[][] {
  return [
    ipt('-D', 'INPUT', '-j', IPTABLES_IN_CHAIN),
    ipt('-D', 'OUTPUT', '-j', IPTABLES_OUT_CHAIN),
    ipt('-F', IPTABLES_IN_CHAIN),
    ipt('-F', IPTABLES_OUT_CHAIN),
    ipt('-X', IPTABLES_IN_CHAIN),
    ipt('-X', IPTABLES_OUT_CHAIN),
  ];
}

export function iptablesRuleCommands(
  op: 'add' | 'delete',
  vip: Ipv4,
  chains: { readonly inChain: string; readonly outChain: string | undefined } = { inChain: IPTABLES_IN_CHAIN, outChain: IPTABLES_OUT_CHAIN },
): string[][] {
  const flag = op === 'add' ? '-A' : '-D';
  const input = ipt(flag, chains.inChain, '-d', `${vip}/32`, '-j', 'DROP');
  return chains.outChain === undefined ? [input] : [input, ipt(flag, chains.outChain, '-s', `${vip}/32`, '-j', 'DROP')];
}

// ---------------------------------------------------------------------------------------------
// The firewall of a running daemon

export interface Firewall {
  readonly backend: FirewallBackend;
  /** Drop traffic to and from these VIPs (before they are added to the interface). */
  add(vips: readonly Ipv4[]): Promise<Result<void, string>>;
  /** Stop dropping it (after the VIPs are gone). */
  remove(vips: readonly Ipv4[]): Promise<Result<void, string>>;
  /** Remove the table or chains altogether (at exit). */
  close(): Promise<Result<void, string>>;
}

/** How to reach nft/iptables when the daemon's PATH lacks the sbin directories (cron, some units). */
function commandPath(): string {
  const path = process.env['PATH'] ?? '';
  const parts = path.split(':').filter((p) => p !== '');
  for (const dir of ['/usr/sbin', '/sbin']) if (!parts.includes(dir)) parts.push(dir);
  return parts.join(':');
}

const COMMAND_TIMEOUT_MS = 5000;

/** The real runner: spawn, stdin, bounded time; never throws. */
export const runCommand: CommandRunner = (argv, stdin) =>
  new Promise((resolve) => {
    const [file, ...args] = argv;
    if (file === undefined) {
      resolve(err('empty command'));
      return;
    }
    let out = '';
    let errText = '';
    let settled = false;
    const done = (r: Result<string, string>): void => {
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        resolve(r);
      }
    };
    let child: ChildProcess;
    try {
      child = guardedSpawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, PATH: commandPath() } });
    } catch (e) {
      resolve(err(`${file}: ${e instanceof Error ? e.message : String(e)}`));
      return;
    }
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      done(err(`${file} did not finish within ${COMMAND_TIMEOUT_MS} ms`));
    }, COMMAND_TIMEOUT_MS);
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (errText += d.toString()));
    child.on('error', (e: NodeJS.ErrnoException) => done(err(e.code === 'ENOENT' ? `${file}: command not found` : `${file}: ${e.message}`)));
    child.on('close', (code) => {
      if (code === 0) done(ok(out));
      else done(err(`${argv.join(' ')}: ${errText.trim() || `exit ${code}`}`));
    });
    child.stdin?.on('error', () => undefined); // a command that exits without reading stdin
    child.stdin?.end(stdin ?? '');
  });

const nft = (run: CommandRunner, script: string): Promise<Result<string, string>> => run(['nft', '-f', '-'], script);

async function runAll(run: CommandRunner, commands: readonly string[][]): Promise<Result<void, string>> {
  for (const c of commands) {
    const r = await run(c);
    if (!r.ok) return r;
  }
  return ok(undefined);
}

function nftFirewall(run: CommandRunner, fw: FirewallSettings): Firewall {
  let created = false;
  return {
    backend: 'nftables',
    async add(vips) {
      const r = await nft(run, created ? nftElementScript('add', vips, fw.table) : nftCreateScript(vips, fw));
      if (!r.ok) return r;
      created = true;
      return ok(undefined);
    },
    async remove(vips) {
      if (!created) return ok(undefined);
      const r = await nft(run, nftElementScript('delete', vips, fw.table));
      return r.ok ? ok(undefined) : r;
    },
    async close() {
      created = false;
      const r = await nft(run, nftRemoveTableScript(fw.table));
      return r.ok ? ok(undefined) : r;
    },
  };
}

/** vrrp_iptables: rules appended to the user's chains, deleted with the VIPs (keepalived's way). */
function configuredChainsFirewall(run: CommandRunner, chains: NonNullable<FirewallSettings['iptables']>): Firewall {
  return {
    backend: 'iptables',
    add: (vips) => runAll(run, vips.flatMap((v) => iptablesRuleCommands('add', v, chains))),
    remove: (vips) => runAll(run, vips.flatMap((v) => iptablesRuleCommands('delete', v, chains))),
    close: async () => ok(undefined),
  };
}

/** A crash's rules in the user's chains: delete each VIP's rule while there is one (bounded). */
async function removeConfiguredChainRules(run: CommandRunner, chains: NonNullable<FirewallSettings['iptables']>, vips: readonly Ipv4[]): Promise<number> {
  let removed = 0;
  for (const vip of vips) {
    for (const c of iptablesRuleCommands('delete', vip, chains)) {
      for (let i = 0; i < 16 && (await run(c)).ok; i++) removed++;
    }
  }
  return removed;
}

function iptablesFirewall(run: CommandRunner): Firewall {
  let created = false;
  return {
    backend: 'iptables',
    async add(vips) {
      if (!created) {
        for (const c of iptablesCleanupCommands()) await run(c);
        const setup = await runAll(run, iptablesSetupCommands());
        if (!setup.ok) return setup;
        created = true;
      }
      return runAll(run, vips.flatMap((v) => iptablesRuleCommands('add', v)));
    },
    async remove(vips) {
      if (!created) return ok(undefined);
      return runAll(run, vips.flatMap((v) => iptablesRuleCommands('delete', v)));
    },
    async close() {
      if (!created) return ok(undefined);
      created = false;
      for (const c of iptablesCleanupCommands()) await run(c);
      return ok(undefined);
    },
  };
}

/**
 * Drop rules held per VIP by how many instances want them: two no-accept instances sharing a VIP
 * (on two interfaces, or one instance per VRID for the same address) each add and remove it, and the
 * first to leave MASTER must not lift the rule the other still needs (keepalived removes it).
 * Only a VIP's first add and last remove reach the backend.
 */
export function sharedDropRules(inner: Firewall): Firewall {
  const holders = new Map<Ipv4, number>();
  return {
    backend: inner.backend,
    async add(vips) {
      const fresh = vips.filter((v) => (holders.get(v) ?? 0) === 0);
      const r = fresh.length > 0 ? await inner.add(fresh) : ok(undefined);
      if (r.ok) for (const v of vips) holders.set(v, (holders.get(v) ?? 0) + 1);
      return r;
    },
    async remove(vips) {
      const held = vips.filter((v) => (holders.get(v) ?? 0) > 0);
      for (const v of held) holders.set(v, (holders.get(v) ?? 0) - 1);
      const last = held.filter((v) => holders.get(v) === 0);
      for (const v of last) holders.delete(v);
      return last.length > 0 ? inner.remove(last) : ok(undefined);
    },
    close() {
      holders.clear();
      return inner.close();
    },
  };
}

/**
 * The configured vrrp_iptables chains; else nftables if `nft` works here, else iptables in chains
 * of our own; else an error saying what each answered.
 */
export async function openFirewall(run: CommandRunner = runCommand, fw: FirewallSettings = DEFAULT_FIREWALL): Promise<Result<Firewall, string>> {
  if (fw.iptables !== undefined) {
    const probe = await run(ipt('-S', fw.iptables.inChain));
    if (probe.ok) return ok(sharedDropRules(configuredChainsFirewall(run, fw.iptables)));
    return err(`vrrp_iptables ${fw.iptables.inChain}: iptables is not usable (${probe.error}) - install iptables and create the chains, or remove vrrp_iptables to use nftables`);
  }
  const nftProbe = await run(['nft', 'list', 'tables']);
  if (nftProbe.ok) return ok(sharedDropRules(nftFirewall(run, fw)));
  const iptProbe = await run(ipt('-S', 'INPUT'));
  if (iptProbe.ok) return ok(sharedDropRules(iptablesFirewall(run)));
  return err(
    'no_accept needs firewall rules that drop traffic to the VIPs, but neither nftables nor iptables is usable ' +
      `(nft: ${nftProbe.error}; iptables: ${iptProbe.error}) - install nftables (apt-get install nftables), ` +
      'or remove vrrp_strict / no_accept so the VIPs accept traffic',
  );
}

/**
 * What a run that crashed (kill -9) left behind: our nft table and iptables chains, removed so the
 * VIPs are not silently dropped by a later run (in BACKUP, or with accept). Best effort, quiet when
 * a tool is absent; says what it removed.
 */
export async function removeLeftoverRules(
  run: CommandRunner = runCommand,
  fw: FirewallSettings = DEFAULT_FIREWALL,
  vips: readonly Ipv4[] = [],
  reads: Promise<FirewallReads> = readFirewall(run),
): Promise<string[]> {
  const removed: string[] = [];
  const { tables, chains } = await reads;
  if (tables.ok && tables.value.split('\n').includes(`table ip ${fw.table}`)) {
    const r = await nft(run, nftRemoveTableScript(fw.table));
    if (r.ok) removed.push(`nftables table ip ${fw.table}`);
  }
  if (fw.iptables !== undefined) {
    const n = await removeConfiguredChainRules(run, fw.iptables, vips);
    if (n > 0) removed.push(`iptables rules (${n}) for ${vips.join(' ')} in ${fw.iptables.inChain}${fw.iptables.outChain === undefined ? '' : `/${fw.iptables.outChain}`}`);
  }
  if (chains.ok && chains.value.includes(`-N ${IPTABLES_IN_CHAIN}`)) {
    for (const c of iptablesCleanupCommands()) await run(c);
    removed.push(`iptables chains ${IPTABLES_IN_CHAIN}/${IPTABLES_OUT_CHAIN}`);
  }
  return removed;
}

/** What start-up reads of the firewall before it decides anything: the output of three commands. */
export interface FirewallReads {
  readonly tables: Result<string, string>;
  readonly chains: Result<string, string>;
  readonly keepalivedTable: Result<string, string>;
}

/** The three reads, in order; their outputs make up FirewallReads. */
export const FIREWALL_READS: readonly (readonly string[])[] = [['nft', 'list', 'tables'], ipt('-S'), ['nft', 'list', 'table', 'ip', 'keepalived']];
/** Ends each read's output in the shell's: the read's exit status follows it. */
export const READ_END = '@@vrrpd-read-end';
const READ_END_LINE = new RegExp(`\\n${READ_END} (\\d+)\\n`);

/**
 * The reads in one shell: a process start costs the daemon 3-4 ms of its one thread (forking it),
 * so one start instead of three (when start-up waits for them, preflight starts them while the
 * host is checked: daemon/running.ts firewallBeforeStart). Each read's stderr is dropped (its status says enough: only
 * "ok or not" is used). Reading changes nothing.
 */
export function readFirewall(run: CommandRunner = runCommand): Promise<FirewallReads> {
  const script = FIREWALL_READS.map((argv) => `${argv.join(' ')} 2>/dev/null; printf '\\n${READ_END} %s\\n' $?`).join('; ');
  return run(['sh', '-c', script]).then((r) => firewallReadsFrom(r));
}

/** The shell's output cut into the three reads; a read whose end is missing failed with the shell. */
export function firewallReadsFrom(shell: Result<string, string>): FirewallReads {
  const results: Result<string, string>[] = [];
  let rest = shell.ok ? shell.value : '';
  for (const argv of FIREWALL_READS) {
    const end = READ_END_LINE.exec(rest);
    if (end === null) {
      results.push(err(`${argv.join(' ')}: ${shell.ok ? 'no answer' : shell.error}`));
      rest = '';
      continue;
    }
    const status = Number(end[1]);
    results.push(status === 0 ? ok(rest.slice(0, end.index)) : err(`${argv.join(' ')}: exit ${status}`));
    rest = rest.slice(end.index + end[0].length);
  }
  const [tables, chains, keepalivedTable] = results as [Result<string, string>, Result<string, string>, Result<string, string>];
  return { tables, chains, keepalivedTable };
}

/** A leftover `table ip keepalived` (a keepalived killed before the switch to vrrpd): its VIPs. */
export async function keepalivedTableVips(run: CommandRunner = runCommand, reads: Promise<FirewallReads> = readFirewall(run)): Promise<Ipv4[] | undefined> {
  const table = (await reads).keepalivedTable;
  if (!table.ok) return undefined;
  const elements = /elements = \{([^}]*)\}/.exec(table.value)?.[1] ?? '';
  return elements
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '') as Ipv4[];
}

/** What start-up needs to know of an instance. */
export interface FirewallInstance {
  readonly name: string;
  readonly accept: boolean;
  readonly vips: readonly { readonly address: Ipv4 }[];
}

/**
 * Start-up: remove what a crashed run left, warn about keepalived's own leftover table when it
 * drops our VIPs, then open the firewall if an instance needs it, saying which (keepalived's line,
 * before its "removing VIPs."). No firewall needed: ok(undefined).
 */
export async function prepareFirewall(
  instances: readonly FirewallInstance[],
  log: Pick<LineLog, 'info' | 'warn'>,
  run: CommandRunner = runCommand,
  fw: FirewallSettings = DEFAULT_FIREWALL,
  reads: Promise<FirewallReads> = readFirewall(run),
): Promise<Result<Firewall | undefined, string>> {
  const ours = new Set(instances.flatMap((i) => i.vips.map((v) => v.address)));
  // Read before anything is removed: our own table may be named keepalived (fw.table), then it is no warning.
  const keepalivedVips = fw.table === 'keepalived' ? undefined : await keepalivedTableVips(run, reads);
  for (const what of await removeLeftoverRules(run, fw, [...ours], reads)) log.info(`removed leftover ${what} of an earlier run`);
  const blocked = keepalivedVips?.filter((v) => ours.has(v)) ?? [];
  if (blocked.length > 0) {
    log.warn(
      `nftables table ip keepalived (left by keepalived) drops all traffic to and from ${blocked.join(' ')}: ` +
        "if keepalived no longer runs here, remove it with 'nft delete table ip keepalived'",
    );
  }
  const needing = instances.filter((i) => !i.accept && i.vips.length > 0);
  if (needing.length === 0) return ok(undefined);
  const firewall = await openFirewall(run, fw);
  if (!firewall.ok) return err(`${needing.map((i) => `(${i.name})`).join(' ')} ${firewall.error}`);
  log.info(backendLine(firewall.value.backend));
  return firewall;
}
