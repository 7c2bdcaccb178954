// `npm run demo`: the seed's two-node pair in network namespaces, shown as a timeline. Node A
// (etc/node-a.conf, state MASTER priority 150) and node B (etc/node-b.conf, BACKUP 100) run vrrpd;
// a client watches the VIP with tcpdump, its neighbour table and ping. A is killed, restarted and
// stopped; every takeover is timed on the client's capture. Everything is torn down at the end.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { firstGarpAfter, startCapture, type Capture, type Frame, type VrrpFrame } from './capture.js';
import { createLab, LAB_VIP, labAvailable, pairLabSpec, type Lab } from './netns.js';
import { sleep } from './process.js';
import { repoRoot, startVrrpd, type Vrrpd } from './vrrpd.js';
import { systemdDemo } from './demo-systemd.js';
import type { Result } from '../src/types.js';

const NODES = {
  a: { ip: '192.0.2.11', mac: '02:00:c0:00:02:0b', config: 'node-a.conf' },
  b: { ip: '192.0.2.12', mac: '02:00:c0:00:02:0c', config: 'node-b.conf' },
} as const;
type Node = keyof typeof NODES;

const t0 = Date.now();
const stamp = (): string => `+${((Date.now() - t0) / 1000).toFixed(3).padStart(7)}s`;
const say = (line: string): void => console.log(`${stamp()}  ${line}`);

function unwrap<T>(r: Result<T, string>): T {
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

const adverts = (frames: readonly Frame[], src: string): VrrpFrame[] =>
  frames.filter((f): f is VrrpFrame => f.kind === 'vrrp' && f.src === src);

async function start(lab: Lab, node: Node): Promise<Vrrpd> {
  const config = readFileSync(join(repoRoot(), 'etc', NODES[node].config), 'utf8');
  say(`start vrrpd on node ${node.toUpperCase()} (${NODES[node].ip}) with etc/${NODES[node].config}`);
  return unwrap(
    await startVrrpd(lab, node, config, {
      onLog: (m) => {
        // The lines a keepalived user watches for; -D detail lines stay out of the timeline.
        if (/STATE|removing VIPs|setting VIPs|received|Stopp|sent 0 priority/.test(m)) say(`    [${node.toUpperCase()}] ${m}`);
      },
    }),
  );
}

async function showClientView(lab: Lab): Promise<void> {
  const neigh = await lab.neigh('client', LAB_VIP);
  const owner = (Object.keys(NODES) as Node[]).find((n) => NODES[n].mac === neigh?.mac);
  const holders: string[] = [];
  for (const n of Object.keys(NODES) as Node[]) if (await lab.hasAddress(n, LAB_VIP)) holders.push(n.toUpperCase());
  const ping = await lab.ping('client', LAB_VIP, { count: 2, intervalMs: 200, timeoutMs: 2000 });
  say(
    `client: ${LAB_VIP} is-at ${neigh?.mac ?? '(no entry)'}${owner ? ` (node ${owner.toUpperCase()})` : ''}; ` +
      `VIP bound on ${holders.join(', ') || 'nobody'}; ping ${ping.received}/${ping.transmitted}`,
  );
}

async function demo(lab: Lab, capture: Capture): Promise<string[]> {
  const summary: string[] = [];
  const frames = (): Frame[] => unwrap(capture.framesSoFar());

  let a = await start(lab, 'a');
  const b = await start(lab, 'b');
  unwrap(await a.waitForState('VI_1', 'MASTER', { timeoutMs: 6000 }));
  await sleep(300);
  await showClientView(lab);

  say('kill -9 node A (a crash: no priority-0 advert, the VIP stays behind on A)');
  let mark = b.logMark();
  await a.crash();
  unwrap(await b.waitForState('VI_1', 'MASTER', { timeoutMs: 6000, since: mark }));
  await sleep(300);
  const lastA = adverts(frames(), NODES.a.ip).at(-1);
  const hard = lastA && firstGarpAfter(frames(), LAB_VIP, lastA.t, NODES.b.mac);
  if (lastA && hard) {
    const ms = (hard.t - lastA.t) * 1000;
    say(`takeover: A's last advert -> B's first gratuitous ARP = ${ms.toFixed(1)} ms (RFC Master_Down_Interval 3609.4 ms)`);
    summary.push(`crash of the master (kill -9)   ${ms.toFixed(1).padStart(7)} ms   protocol: 3609.4 ms`);
  }
  await showClientView(lab);

  mark = b.logMark();
  a = await start(lab, 'a');
  const restarted = Date.now();
  unwrap(await a.waitForState('VI_1', 'MASTER', { timeoutMs: 6000 }));
  unwrap(await b.waitForState('VI_1', 'BACKUP', { timeoutMs: 2000, since: mark }));
  summary.push(`A restarted -> A MASTER again  ${String(Date.now() - restarted).padStart(7)} ms   protocol: 3414.1 ms (+ start-up)`);
  await sleep(300);
  await showClientView(lab);

  say('systemctl stop on node A (SIGTERM: priority-0 advert, VIP removed)');
  mark = b.logMark();
  await a.stop();
  unwrap(await b.waitForState('VI_1', 'MASTER', { timeoutMs: 3000, since: mark }));
  await sleep(300);
  const zero = adverts(frames(), NODES.a.ip).filter((f) => f.priority === 0).at(-1);
  const soft = zero && firstGarpAfter(frames(), LAB_VIP, zero.t, NODES.b.mac);
  if (zero && soft) {
    const ms = (soft.t - zero.t) * 1000;
    say(`takeover: A's priority-0 advert -> B's first gratuitous ARP = ${ms.toFixed(1)} ms (RFC Skew_Time 609.4 ms)`);
    summary.push(`graceful stop of the master     ${ms.toFixed(1).padStart(7)} ms   protocol:  609.4 ms`);
  }
  await showClientView(lab);
  await b.stop();
  return summary;
}

async function main(): Promise<number> {
  // `npm run demo -- --systemd`: the pair as booted containers, left up to explore (lab/demo-systemd.ts).
  if (process.argv.includes('--systemd')) return systemdDemo(process.argv.slice(2));
  const available = labAvailable();
  if (!available.ok) {
    console.error(`demo needs root and network namespaces: ${available.reason}`);
    return 1;
  }
  say(`lab: nodes A ${NODES.a.ip} and B ${NODES.b.ip}, client 192.0.2.100, VIP ${LAB_VIP}, on a bridge in its own namespace`);
  const lab = await createLab(pairLabSpec());
  try {
    const capture = unwrap(await startCapture(lab, 'client'));
    const summary = await demo(lab, capture);
    console.log('\nmeasured on the client\'s capture:');
    for (const line of summary) console.log(`  ${line}`);
    return 0;
  } catch (e) {
    console.error(`demo failed: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  } finally {
    await lab.destroy();
    say('lab torn down (namespaces deleted, processes stopped)');
  }
}

process.exitCode = await main();
