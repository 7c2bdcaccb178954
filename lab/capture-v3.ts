// Record keepalived 2.2.7's own VRRPv3 adverts (IPv4 and IPv6) as test fixtures:
//
//   npm run build && scripts/with-node 24 node dist/lab/capture-v3.js [OUT_DIR [RUN...]]
//
// One lab (IPv6 on) with node A running keepalived and a client running tcpdump, once per run in
// RUNS (all, or those named). The adverts-* configs have a VRRPv3 IPv4 instance and an IPv6 one
// (version 3 by family); A takes over after its Master_Down_Interval, adverts for a while, then
// stops on SIGTERM (priority-0 adverts). interval-40955 shows keepalived rounding advert_int 40.955
// up to 4096 cs, which the 12-bit field carries as 0. Each run leaves, in OUT_DIR (default test/fixtures/captures):
// keepalived-v3-<name>.conf (the config), .pcap (what tcpdump wrote), .hex.txt (every frame, as
// the v2 captures' dumps) and .tcpdump.txt (tcpdump -vv's own decoding, an independent reading).
// The lab is deleted whatever happens (createLab/withLab, exit hooks).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startCapture } from './capture.js';
import { startKeepalived } from './keepalived.js';
import { CLIENT, labAvailable, NODE_A, withLab, type Lab } from './netns.js';
import { parsePcap } from './pcap.js';
import { sleep, waitUntil } from './process.js';
import { repoRoot } from './vrrpd.js';

interface Run {
  /** File name part: keepalived-v3-<name>.*. */
  readonly name: string;
  readonly config: string;
  /** The instances to wait for in MASTER before recording. */
  readonly instances: readonly string[];
  /** How long to record A as MASTER before stopping it. */
  readonly masterMs: number;
}

const RUNS: readonly Run[] = [
  { name: 'adverts-1s', config: v3Config('1'), instances: ['VI_4', 'VI_6'], masterMs: 3500 },
  { name: 'adverts-100ms', config: v3Config('0.1'), instances: ['VI_4', 'VI_6'], masterMs: 600 },
  { name: 'interval-40955', config: ownerConfig('40.955'), instances: ['VI_4'], masterMs: 300 },
];

/** VRRP (both families), ARP and IPv6 Neighbor Advertisements (ICMPv6 type 136, no extension header). */
const FILTER = 'ip proto 112 or ip6 proto 112 or arp or (icmp6 and ip6[40] == 136)';

/** A keepalived.conf: a comment header, global_defs, then the instances, a blank line before each. */
function keepalivedConf(header: readonly string[], globals: readonly string[], instances: readonly (readonly string[])[]): string {
  return [
    ...header.map((l) => `! ${l}`),
    'global_defs {',
    ...['router_id NodeA', ...globals].map((l) => `   ${l}`),
    '}',
    ...instances.flatMap((lines) => ['', ...lines]),
    '',
  ].join('\n');
}

/** `vrrp_instance NAME {` ... `}` around A's usual settings; `extra` goes first. */
function instanceBlock(name: string, vrid: number, priority: number, advertInt: string, extra: readonly string[], vips: readonly string[]): string[] {
  const settings = [...extra, 'state MASTER', 'interface eth0', `virtual_router_id ${vrid}`, `priority ${priority}`, `advert_int ${advertInt}`];
  return [
    `vrrp_instance ${name} {`,
    ...settings.map((l) => `    ${l}`),
    '    virtual_ipaddress {',
    ...vips.map((v) => `        ${v}`),
    '    }',
    '}',
  ];
}

export function v3Config(advertInt: string): string {
  return keepalivedConf(
    [
      'keepalived 2.2.7 VRRPv3 lab config (lab/capture-v3.ts): node A, 192.0.2.11/24 and its',
      'link-local fe80::c0ff:fe00:20b on eth0 (MAC 02:00:c0:00:02:0b).',
    ],
    ['vrrp_garp_interval 0', 'vrrp_gna_interval 0'],
    [
      instanceBlock('VI_4', 51, 150, advertInt, ['version 3'], ['192.0.2.200']),
      [
        '! IPv6 VIPs make the instance VRRPv3 without a version keyword; the first VIP is link-local',
        '! (RFC 5798 section 5.2.9).',
        ...instanceBlock('VI_6', 52, 150, advertInt, [], ['fe80::200', '2001:db8::200']),
      ],
    ],
  );
}

/** One IPv4 v3 instance at priority 255, MASTER at once (no Master_Down_Interval to wait for). */
export function ownerConfig(advertInt: string): string {
  return keepalivedConf(
    ['keepalived 2.2.7 VRRPv3 lab config (lab/capture-v3.ts): node A, 192.0.2.11/24 on eth0.'],
    [],
    [instanceBlock('VI_4', 51, 255, advertInt, ['version 3'], ['192.0.2.200'])],
  );
}

/** `0000  01 00 5e ...   ascii` lines per frame, a blank line between frames (as the v2 dumps). */
export function hexDump(frames: readonly Buffer[]): string {
  const blocks = frames.map((frame) => {
    const lines: string[] = [];
    for (let off = 0; off < frame.length; off += 16) {
      const chunk = frame.subarray(off, off + 16);
      const hex = [...chunk].map((b) => b.toString(16).padStart(2, '0')).join(' ');
      const ascii = [...chunk].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
      lines.push(`${off.toString(16).padStart(4, '0')}  ${hex.padEnd(47)}   ${ascii}`);
    }
    return lines.join('\n');
  });
  return `${blocks.join('\n\n')}\n`;
}

async function linkLocalReady(lab: Lab, host: string): Promise<void> {
  // The kernel makes the link-local address tentative for DAD (about a second); keepalived needs it.
  const ready = await waitUntil(
    async () => {
      const r = await lab.exec(host, ['ip', '-6', 'addr', 'show', 'dev', 'eth0', 'scope', 'link']);
      return r.stdout.includes('fe80::') && !r.stdout.includes('tentative');
    },
    { timeoutMs: 5000, intervalMs: 100 },
  );
  if (!ready) throw new Error(`${host}: no usable IPv6 link-local address on eth0 after 5 s`);
}

async function record(lab: Lab, run: Run, outDir: string): Promise<void> {
  const base = join(outDir, `keepalived-v3-${run.name}`);
  const config = run.config;
  const capture = await startCapture(lab, 'client', { filter: FILTER });
  if (!capture.ok) throw new Error(capture.error);
  const ka = await startKeepalived(lab, 'a', config);
  if (!ka.ok) throw new Error(ka.error);
  for (const instance of run.instances) {
    const master = await ka.value.waitForState(instance, 'MASTER', { timeoutMs: 10_000 });
    if (!master.ok) throw new Error(`${instance}: ${master.error}\n${ka.value.logLines().join('\n')}`);
  }
  await sleep(run.masterMs);
  const exit = await ka.value.stop(5000);
  await sleep(200);
  const frames = await capture.value.stop();
  if (!frames.ok) throw new Error(frames.error);
  const pcap = readFileSync(capture.value.file);
  const parsed = parsePcap(pcap);
  if (!parsed.ok) throw new Error(parsed.error);
  writeFileSync(`${base}.conf`, config);
  writeFileSync(`${base}.pcap`, pcap);
  writeFileSync(`${base}.hex.txt`, hexDump(parsed.value.records.map((r) => r.data)));
  const decoded = execFileSync('tcpdump', ['-r', `${base}.pcap`, '-n', '-vv', '-e', '--time-stamp-precision=nano'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  writeFileSync(`${base}.tcpdump.txt`, decoded);
  console.log(`${base}: ${parsed.value.records.length} frames; keepalived exit ${JSON.stringify(exit)}`);
  console.log(ka.value.logLines().filter((l) => /VI_|VRRP|Keepalived_vrrp/.test(l)).slice(0, 40).join('\n'));
}

async function main(): Promise<void> {
  const available = labAvailable();
  if (!available.ok) throw new Error(`the lab cannot run here: ${available.reason}`);
  const outDir = process.argv[2] ?? join(repoRoot(), 'test', 'fixtures', 'captures');
  mkdirSync(outDir, { recursive: true });
  const names = process.argv.slice(3);
  const unknown = names.filter((n) => !RUNS.some((r) => r.name === n));
  if (unknown.length > 0) throw new Error(`no run ${unknown.join(', ')}; runs: ${RUNS.map((r) => r.name).join(', ')}`);
  for (const run of RUNS.filter((r) => names.length === 0 || names.includes(r.name))) {
    await withLab({ hosts: [NODE_A, { ...CLIENT }], ipv6: true }, async (lab) => {
      await linkLocalReady(lab, 'a');
      await record(lab, run, outDir);
    });
  }
}

// Run only as a program: tests import the config builders to check them against the fixtures.
const invoked = process.argv[1];
if (invoked !== undefined && import.meta.url === pathToFileURL(invoked).href) {
  main().catch((e: unknown) => {
    console.error(`capture-v3: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
}
