// No-accept mode's firewall (src/net/firewall.ts) with a recording command runner: keepalived's
// nftables layout under vrrpd's table name, the iptables fallback, the error when neither works,
// start-up's leftover clean-up; and the instance shell's order of drop rule and VIPs (keepalived:
// rule before the VIPs appear, removed after they are gone), without sockets or root.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic, type InstanceConfig } from '../../src/config/config.js';
import { parseConfigText } from '../../src/config/load.js';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  backendLine,
  FIREWALL_READS,
  firewallSettings,
  nftCreateScript,
  nftElementScript,
  openFirewall,
  prepareFirewall,
  READ_END,
  readFirewall,
  removeLeftoverRules,
  runCommand,
  type CommandRunner,
} from '../../src/net/firewall.js';
import { err, ok, type Ipv4 } from '../../src/types.js';
import type { InstancePorts } from '../../src/instance/instance.js';
import { VipExecutor } from '../../src/instance/vips.js';
import { timeoutScheduler } from '../../src/timers/clock.js';

const VIP = '192.0.2.200' as Ipv4;

interface Call {
  readonly argv: string;
  readonly stdin: string | undefined;
}

/**
 * A runner that records every command and answers from `answer` (default: success, no output).
 * readFirewall's one shell is taken apart: each read in it is recorded and answered on its own, and
 * the shell's output put together from the answers.
 */
function recorder(answer: (argv: string, stdin: string | undefined) => ReturnType<CommandRunner> | undefined = () => undefined) {
  const calls: Call[] = [];
  const one = async (line: string, stdin: string | undefined) => {
    calls.push({ argv: line, stdin });
    return (await answer(line, stdin)) ?? ok('');
  };
  const run: CommandRunner = async (argv, stdin) => {
    if (argv[0] !== 'sh' || !(argv[2] ?? '').includes(READ_END)) return one(argv.join(' '), stdin);
    let out = '';
    for (const read of FIREWALL_READS) {
      const r = await one(read.join(' '), undefined);
      out += `${r.ok ? r.value : ''}\n${READ_END} ${r.ok ? 0 : 1}\n`;
    }
    return ok(out);
  };
  return { calls, run };
}

const noNft = (argv: string) => (argv.startsWith('nft') ? Promise.resolve(err('nft: command not found')) : undefined);

describe('nftables: keepalived 2.2.7\'s layout, table ip vrrpd', () => {
  it('the table is created at the first VIP, fresh, in one transaction', () => {
    expect(nftCreateScript([VIP])).toBe(
      [
        'add table ip vrrpd',
        'delete table ip vrrpd',
        'table ip vrrpd {',
        '  set vips {',
        '    type ipv4_addr',
        '  }',
        '  chain out {',
        '    type filter hook output priority filter - 1; policy accept;',
        '    ip saddr @vips drop',
        '  }',
        '  chain in {',
        '    type filter hook input priority filter - 1; policy accept;',
        '    ip daddr @vips drop',
        '  }',
        '}',
        'add element ip vrrpd vips { 192.0.2.200 }',
        '',
      ].join('\n'),
    );
  });

  it('then VIPs come and go as set elements; the table goes at close', async () => {
    const { calls, run } = recorder();
    const fw = await openFirewall(run);
    expect(fw.ok && fw.value.backend).toBe('nftables');
    if (!fw.ok) return;
    expect((await fw.value.add([VIP])).ok).toBe(true);
    expect((await fw.value.remove([VIP])).ok).toBe(true);
    expect((await fw.value.add([VIP, '192.0.2.201' as Ipv4])).ok).toBe(true);
    expect((await fw.value.close()).ok).toBe(true);
    expect(calls.map((c) => [c.argv, c.stdin])).toEqual([
      ['nft list tables', undefined],
      ['nft -f -', nftCreateScript([VIP])],
      ['nft -f -', nftElementScript('delete', [VIP])],
      ['nft -f -', 'add element ip vrrpd vips { 192.0.2.200, 192.0.2.201 }\n'],
      ['nft -f -', 'add table ip vrrpd\ndelete table ip vrrpd\n'],
    ]);
  });

  it('a VIP shared by two no-accept instances keeps its rule until the last one lets go', async () => {
    const { calls, run } = recorder();
    const fw = await openFirewall(run);
    if (!fw.ok) throw new Error(fw.error);
    const other = '192.0.2.201' as Ipv4;
    await fw.value.add([VIP]); // instance 1 becomes MASTER
    await fw.value.add([VIP, other]); // instance 2 too: only the new VIP reaches nft
    await fw.value.remove([VIP]); // instance 1 leaves: instance 2 still holds VIP
    await fw.value.remove([VIP, other]); // instance 2 leaves: both go
    await fw.value.remove([VIP]); // a stray remove changes nothing
    expect(calls.slice(1).map((c) => c.stdin)).toEqual([
      nftCreateScript([VIP]),
      nftElementScript('add', [other]),
      nftElementScript('delete', [VIP, other]),
    ]);
  });

  it('a failed add holds nothing: the next add tries again', async () => {
    let fail = true;
    const { calls, run } = recorder((argv) => (argv === 'nft -f -' && fail ? Promise.resolve(err('nft -f -: busy')) : undefined));
    const fw = await openFirewall(run);
    if (!fw.ok) throw new Error(fw.error);
    expect((await fw.value.add([VIP])).ok).toBe(false);
    fail = false;
    expect((await fw.value.add([VIP])).ok).toBe(true);
    expect(calls.filter((c) => c.argv === 'nft -f -')).toHaveLength(2);
  });

  it('an nft failure is passed on with its stderr', async () => {
    const { run } = recorder((argv) => (argv === 'nft -f -' ? Promise.resolve(err('nft -f -: Error: Could not process rule: Operation not permitted')) : undefined));
    const fw = await openFirewall(run);
    if (!fw.ok) throw new Error(fw.error);
    expect(await fw.value.add([VIP])).toEqual(err('nft -f -: Error: Could not process rule: Operation not permitted'));
  });
});

describe('global_defs: nftables NAME, nftables_priority, vrrp_iptables IN OUT', () => {
  it('the table name and chain priority come from the config', async () => {
    const fw = firewallSettings({ nftablesTable: 'keepalived', nftablesPriority: -150, iptables: undefined });
    expect(nftCreateScript([VIP], fw)).toContain('table ip keepalived {');
    expect(nftCreateScript([VIP], fw)).toContain('type filter hook input priority filter - 150; policy accept;');
    expect(nftCreateScript([VIP], { ...fw, priority: 0 })).toContain('type filter hook output priority filter; policy accept;');
    const { calls, run } = recorder();
    const opened = await openFirewall(run, fw);
    if (!opened.ok) throw new Error(opened.error);
    await opened.value.add([VIP]);
    await opened.value.close();
    expect(calls.map((c) => c.stdin).slice(-1)).toEqual(['add table ip keepalived\ndelete table ip keepalived\n']);
  });

  it('vrrp_iptables: rules appended to the configured chains, deleted with the VIP; crash leftovers deleted at start-up', async () => {
    const fw = firewallSettings({ nftablesTable: undefined, nftablesPriority: undefined, iptables: { inChain: 'INPUT', outChain: 'OUTPUT' } });
    const { calls, run } = recorder();
    const opened = await openFirewall(run, fw);
    if (!opened.ok) throw new Error(opened.error);
    expect(opened.value.backend).toBe('iptables');
    await opened.value.add([VIP]);
    await opened.value.remove([VIP]);
    expect(calls.map((c) => c.argv)).toEqual([
      'iptables -w -S INPUT',
      'iptables -w -A INPUT -d 192.0.2.200/32 -j DROP',
      'iptables -w -A OUTPUT -s 192.0.2.200/32 -j DROP',
      'iptables -w -D INPUT -d 192.0.2.200/32 -j DROP',
      'iptables -w -D OUTPUT -s 192.0.2.200/32 -j DROP',
    ]);
    // Two copies of the in rule left by crashes, one of the out rule.
    let inLeft = 2;
    let outLeft = 1;
    const leftovers = recorder((argv) => {
      if (argv === 'iptables -w -D INPUT -d 192.0.2.200/32 -j DROP') return Promise.resolve(inLeft-- > 0 ? ok('') : err('Bad rule'));
      if (argv === 'iptables -w -D OUTPUT -s 192.0.2.200/32 -j DROP') return Promise.resolve(outLeft-- > 0 ? ok('') : err('Bad rule'));
      return argv.startsWith('nft') ? Promise.resolve(err('no nft')) : undefined;
    });
    expect(await removeLeftoverRules(leftovers.run, fw, [VIP])).toEqual(['iptables rules (3) for 192.0.2.200 in INPUT/OUTPUT']);
  });
});

describe('iptables when nft is not usable', () => {
  it('own chains jumped to from INPUT/OUTPUT, one DROP rule per VIP each way', async () => {
    const { calls, run } = recorder(noNft);
    const fw = await openFirewall(run);
    expect(fw.ok && fw.value.backend).toBe('iptables');
    if (!fw.ok) return;
    await fw.value.add([VIP]);
    await fw.value.remove([VIP]);
    const after = calls.slice(2).map((c) => c.argv);
    expect(after).toEqual([
      // a leftover of a crash first, then the chains
      'iptables -w -D INPUT -j vrrpd-in',
      'iptables -w -D OUTPUT -j vrrpd-out',
      'iptables -w -F vrrpd-in',
      'iptables -w -F vrrpd-out',
      'iptables -w -X vrrpd-in',
      'iptables -w -X vrrpd-out',
      'iptables -w -N vrrpd-in',
      'iptables -w -N vrrpd-out',
      'iptables -w -I INPUT -j vrrpd-in',
      'iptables -w -I OUTPUT -j vrrpd-out',
      'iptables -w -A vrrpd-in -d 192.0.2.200/32 -j DROP',
      'iptables -w -A vrrpd-out -s 192.0.2.200/32 -j DROP',
      'iptables -w -D vrrpd-in -d 192.0.2.200/32 -j DROP',
      'iptables -w -D vrrpd-out -s 192.0.2.200/32 -j DROP',
    ]);
  });

  it('neither: a clear error naming both answers and the fix', async () => {
    const { run } = recorder((argv) => Promise.resolve(err(`${argv.split(' ')[0] ?? ''}: command not found`)));
    const fw = await openFirewall(run);
    expect(fw).toEqual(
      err(
        'no_accept needs firewall rules that drop traffic to the VIPs, but neither nftables nor iptables is usable ' +
          '(nft: nft: command not found; iptables: iptables: command not found) - install nftables (apt-get install nftables), ' +
          'or remove vrrp_strict / no_accept so the VIPs accept traffic',
      ),
    );
  });
});

describe('start-up', () => {
  const logSink = () => {
    const lines: string[] = [];
    return { lines, log: { info: (l: string) => void lines.push(`info ${l}`), warn: (l: string) => void lines.push(`warn ${l}`) } };
  };

  it('removes a table a crashed run left, and says so', async () => {
    const { calls, run } = recorder((argv) =>
      argv === 'nft list tables' ? Promise.resolve(ok('table ip filter\ntable ip vrrpd\n')) : argv.startsWith('iptables') ? Promise.resolve(err('no iptables')) : undefined,
    );
    expect(await removeLeftoverRules(run)).toEqual(['nftables table ip vrrpd']);
    expect(calls.map((c) => [c.argv, c.stdin])).toContainEqual(['nft -f -', 'add table ip vrrpd\ndelete table ip vrrpd\n']);
  });

  it('leaves other tables alone and removes nothing when nothing is left over', async () => {
    const { calls, run } = recorder((argv) => (argv === 'nft list tables' ? Promise.resolve(ok('table ip vrrpdx\ntable inet filter\n')) : undefined));
    expect(await removeLeftoverRules(run)).toEqual([]);
    expect(calls.some((c) => c.argv === 'nft -f -')).toBe(false);
  });

  it("opens the firewall only for an instance without accept, with keepalived's lines", async () => {
    const accepting = [{ name: 'VI_1', accept: true, vips: [{ address: VIP }] }];
    const quiet = logSink();
    expect(await prepareFirewall(accepting, quiet.log, recorder().run)).toEqual(ok(undefined));
    expect(quiet.lines).toEqual([]);

    const strict = logSink();
    const fw = await prepareFirewall([{ name: 'VI_1', accept: false, vips: [{ address: VIP }] }], strict.log, recorder().run);
    expect(fw.ok && fw.value?.backend).toBe('nftables');
    expect(strict.lines).toEqual([`info ${backendLine('nftables')}`]);
    expect(backendLine('nftables')).toBe('use_vmac or no_accept/strict specified, but no firewall configured - using nftables');
  });

  it('warns about keepalived\'s own leftover table when it drops our VIPs', async () => {
    const sink = logSink();
    const { run } = recorder((argv) =>
      argv === 'nft list table ip keepalived'
        ? Promise.resolve(ok('table ip keepalived {\n\tset vips {\n\t\ttype ipv4_addr\n\t\telements = { 192.0.2.200 }\n\t}\n}\n'))
        : undefined,
    );
    await prepareFirewall([{ name: 'VI_1', accept: true, vips: [{ address: VIP }] }], sink.log, run);
    expect(sink.lines).toEqual([
      "warn nftables table ip keepalived (left by keepalived) drops all traffic to and from 192.0.2.200: if keepalived no longer runs here, remove it with 'nft delete table ip keepalived'",
    ]);
  });

  it('reads the firewall in one process start, through a real shell: output and status of each read', async () => {
    const bin = mkdtempSync(join(tmpdir(), 'vrrpd-fw-reads-'));
    const tool = (name: string, body: string): void => {
      writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
      chmodSync(join(bin, name), 0o755);
    };
    // nft: two tables (the last line without its newline), no keepalived table; iptables: fails.
    tool('nft', 'if [ "$2" = tables ]; then printf "table ip filter\\ntable ip vrrpd"; exit 0; fi; echo "Error: No such file or directory" >&2; exit 1');
    tool('iptables', 'echo "iptables: permission denied" >&2; exit 4');
    const path = process.env['PATH'];
    process.env['PATH'] = `${bin}:${path ?? ''}`;
    const starts: string[] = [];
    try {
      const reads = await readFirewall((argv, stdin) => {
        starts.push(argv[0] ?? '');
        return runCommand(argv, stdin);
      });
      expect(starts).toEqual(['sh']);
      expect(reads).toEqual({
        tables: ok('table ip filter\ntable ip vrrpd'),
        chains: err('iptables -w -S: exit 4'),
        keepalivedTable: err('nft list table ip keepalived: exit 1'),
      });
    } finally {
      process.env['PATH'] = path;
      rmSync(bin, { recursive: true, force: true });
    }
  });

  it('a shell that does not run: every read fails with its reason', async () => {
    const reads = await readFirewall(() => Promise.resolve(err('sh: command not found')));
    expect(reads.tables).toEqual(err('nft list tables: sh: command not found'));
    expect(reads.keepalivedTable.ok).toBe(false);
  });

  it('reads the firewall once, all three reads before any change, from reads started earlier', async () => {
    const { calls, run } = recorder((argv) =>
      argv === 'nft list tables' ? Promise.resolve(ok('table ip vrrpd\n')) : argv.startsWith('iptables') ? Promise.resolve(err('no iptables')) : undefined,
    );
    const reads = readFirewall(run);
    await reads;
    expect(calls.map((c) => c.argv)).toEqual(['nft list tables', 'iptables -w -S', 'nft list table ip keepalived']);
    await prepareFirewall([{ name: 'VI_1', accept: true, vips: [{ address: VIP }] }], logSink().log, run, undefined, reads);
    expect(calls.map((c) => c.argv)).toEqual(['nft list tables', 'iptables -w -S', 'nft list table ip keepalived', 'nft -f -']);
  });

  it('neither tool: the instance is named in the error', async () => {
    const { run } = recorder((argv) => Promise.resolve(err(`${argv} failed`)));
    const fw = await prepareFirewall([{ name: 'VI_1', accept: false, vips: [{ address: VIP }] }], logSink().log, run);
    expect(!fw.ok && fw.error).toMatch(/^\(VI_1\) no_accept needs firewall rules/);
  });
});

describe('the instance: drop rule and VIPs in keepalived\'s order', () => {
  function strictConfig(): InstanceConfig {
    const text = ['global_defs {', 'vrrp_strict', '}', 'vrrp_instance VI_1 {', 'interface eth0', 'virtual_router_id 51', 'priority 100',
      'virtual_ipaddress {', '192.0.2.200', '}', '}', ''].join('\n');
    const loaded = parseConfigText(text, 's.conf');
    expect(loaded.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic)).toEqual([]);
    const c = loaded.config?.instances[0];
    if (c === undefined) throw new Error('no instance');
    return c;
  }

  async function run(c: InstanceConfig): Promise<string[]> {
    const events: string[] = [];
    const log = pino({ level: 'debug' }, { write: (m: string) => void events.push(`log ${(JSON.parse(m) as { msg: string }).msg}`) });
    const ports: InstancePorts = {
      timers: timeoutScheduler(),
      sendDatagram: (bytes) => ok(bytes.length),
      addAddress: async (a) => (events.push(`addAddress ${a.address}`), ok(undefined)),
      delAddress: async (a) => (events.push(`delAddress ${a.address}`), ok(undefined)),
      sendFrames: () => ok(0),
      firewall: {
        add: async (vips) => (events.push(`fw add ${vips.join(' ')}`), ok(undefined)),
        remove: async (vips) => (events.push(`fw remove ${vips.join(' ')}`), ok(undefined)),
      },
      now: () => 0,
      log,
    };
    const vip = c.vips[0];
    if (vip === undefined) throw new Error('no VIP');
    // The instance's VIP executor, as the core's addVips and delVips run it.
    const host = { vips: [{ vip, ifname: 'eth0', ifindex: 2, mac: Buffer.alloc(6) }] };
    const vips = new VipExecutor({ name: () => c.name, ports, host: () => host, config: () => c, say: (level, message) => log[level](message) });
    await vips.setVips(true);
    await vips.setVips(false);
    return events;
  }

  it('strict (no accept): rule before the VIPs, removed after them', async () => {
    const c = strictConfig();
    expect(c.accept).toBe(false);
    expect(await run(c)).toEqual([
      'log (VI_1) setting firewall drop rule',
      'fw add 192.0.2.200',
      'log (VI_1) setting VIPs.',
      'addAddress 192.0.2.200',
      'log (VI_1) removing VIPs.',
      'delAddress 192.0.2.200',
      'log (VI_1) removing firewall drop rule',
      'fw remove 192.0.2.200',
    ]);
  });

  it('accept: no rule at all', async () => {
    const events = await run({ ...strictConfig(), accept: true });
    expect(events.filter((e) => e.includes('fw') || e.includes('firewall'))).toEqual([]);
  });
});
