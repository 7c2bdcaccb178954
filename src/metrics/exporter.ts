// Prometheus metrics (--metrics-listen HOST:PORT, off by default). Every value is read from the
// running daemon when scraped (collect()), so nothing is updated on the protocol's path and a
// reload's new instances and scripts simply appear. Plain HTTP, GET /metrics only.
import { createServer, type Server } from 'node:http';
import { performance } from 'node:perf_hooks';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { Logger } from '../log/logger.js';
import type { StatusSources } from '../control/status.js';
import type { ListenAddress } from './listen.js';
import { err, ok, type Result } from '../types.js';
import { DROP_REASONS } from '../vrrp/packet.js';

const ROLES = ['INIT', 'BACKUP', 'MASTER', 'FAULT', 'STOPPED'] as const;
const SCRIPT_RESULTS = ['up', 'down', 'unknown'] as const;

export { parseListen, type ListenAddress } from './listen.js';

/** The registry, reading `sources()` at each scrape; undefined sources (start-up) give no instance series. */
export function createMetricsRegistry(sources: () => StatusSources | undefined): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'vrrpd_' });
  const instanceLabels = ['instance', 'vrid', 'interface'] as const;
  const labels = (i: StatusSources['instances'][number]): Record<(typeof instanceLabels)[number], string> => ({
    instance: i.name,
    vrid: String(i.config.vrid),
    interface: i.host.ifname,
  });
  const current = (): StatusSources | undefined => sources();

  new Gauge({
    name: 'vrrpd_instance_state',
    help: 'VRRP state of each instance: 1 for the current state, 0 for the others',
    labelNames: [...instanceLabels, 'state'],
    registers: [registry],
    collect() {
      this.reset();
      for (const i of current()?.instances ?? []) for (const role of ROLES) this.set({ ...labels(i), state: role }, i.fsmState.role === role ? 1 : 0);
    },
  });
  new Gauge({
    name: 'vrrpd_instance_priority',
    help: 'Priority of each instance: base (configured) and effective (after tracking)',
    labelNames: [...instanceLabels, 'kind'],
    registers: [registry],
    collect() {
      this.reset();
      for (const i of current()?.instances ?? []) {
        this.set({ ...labels(i), kind: 'base' }, i.fsmState.basePriority);
        this.set({ ...labels(i), kind: 'effective' }, i.fsmState.effectivePriority);
      }
    },
  });
  new Gauge({
    name: 'vrrpd_instance_last_transition_timestamp_seconds',
    help: 'Wall-clock time of the last state change of each instance',
    labelNames: [...instanceLabels],
    registers: [registry],
    collect() {
      this.reset();
      for (const i of current()?.instances ?? []) {
        const last = i.lastTransition;
        if (last !== undefined) this.set(labels(i), (performance.timeOrigin + last.at) / 1000);
      }
    },
  });
  // Counters are read from the instances' own (STATS_CLEAR resets them; Prometheus copes).
  const counter = (name: string, help: string, read: (i: StatusSources['instances'][number]) => number): void => {
    new Counter({
      name,
      help,
      labelNames: [...instanceLabels],
      registers: [registry],
      collect() {
        this.reset();
        for (const i of current()?.instances ?? []) this.inc(labels(i), read(i));
      },
    });
  };
  counter('vrrpd_transitions_total', 'State changes of each instance since start', (i) => i.transitionCount);
  counter('vrrpd_became_master_total', 'Times each instance became MASTER', (i) => i.stats.becameMaster);
  counter('vrrpd_adverts_received_total', 'Adverts accepted by each instance', (i) => i.stats.advertReceived);
  counter('vrrpd_adverts_sent_total', 'Adverts sent by each instance', (i) => i.stats.advertSent);
  new Counter({
    name: 'vrrpd_drops_total',
    help: 'Received datagrams dropped, by instance and reason (instance "" = no instance matched)',
    labelNames: ['instance', 'reason'],
    registers: [registry],
    collect() {
      this.reset();
      const s = current();
      if (s === undefined) return;
      for (const i of s.instances) for (const reason of DROP_REASONS) this.inc({ instance: i.name, reason }, i.stats.drops[reason]);
      for (const reason of DROP_REASONS) this.inc({ instance: '', reason }, s.unmatched.drops[reason]);
    },
  });
  new Counter({
    name: 'vrrpd_timer_errors_total',
    help: 'Poll errors of the native timers (the scheduler timerfd, the advert repeater) since start; each moved them to setTimeout and JS',
    registers: [registry],
    collect() {
      this.reset();
      const s = current();
      if (s !== undefined) this.inc(s.timerErrors);
    },
  });
  new Gauge({
    name: 'vrrpd_track_script_result',
    help: 'Result of each vrrp_script: 1 for the current result (up, down, unknown), 0 for the others',
    labelNames: ['script', 'result'],
    registers: [registry],
    collect() {
      this.reset();
      for (const t of current()?.tracker.status() ?? []) {
        if (t.kind === 'script') for (const r of SCRIPT_RESULTS) this.set({ script: t.name, result: r }, t.state === r ? 1 : 0);
      }
    },
  });
  new Counter({
    name: 'vrrpd_track_script_runs_total',
    help: 'Runs of each vrrp_script since start (or the last reload)',
    labelNames: ['script'],
    registers: [registry],
    collect() {
      this.reset();
      for (const t of current()?.tracker.status() ?? []) if (t.kind === 'script') this.inc({ script: t.name }, t.runs);
    },
  });
  new Gauge({
    name: 'vrrpd_track_object_up',
    help: 'Tracked interfaces (1 up, 0 down, -1 unknown) and tracked files (the value read)',
    labelNames: ['kind', 'name'],
    registers: [registry],
    collect() {
      this.reset();
      for (const t of current()?.tracker.status() ?? []) {
        if (t.kind === 'interface') this.set({ kind: t.kind, name: t.name }, t.state === 'up' ? 1 : t.state === 'down' ? 0 : -1);
        if (t.kind === 'file' && t.value !== undefined) this.set({ kind: t.kind, name: t.name }, t.value);
      }
    },
  });
  return registry;
}

export interface MetricsServer {
  readonly address: ListenAddress;
  close(): Promise<void>;
}

export async function startMetricsServer(
  listen: ListenAddress,
  registry: Registry,
  log: Pick<Logger, 'warn'>,
): Promise<Result<MetricsServer, string>> {
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('vrrpd: GET /metrics\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (e: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${e instanceof Error ? e.message : String(e)}\n`),
    );
  });
  // A scraper is one or two clients; anything slow is cut off rather than held.
  server.requestTimeout = 5000;
  server.headersTimeout = 5000;
  server.maxConnections = 16;
  const listened = await new Promise<Result<void, string>>((resolve) => {
    server.once('error', (e) => resolve(err(`cannot listen for metrics on ${listen.host}:${listen.port}: ${e.message}`)));
    server.listen(listen.port, listen.host, () => resolve(ok(undefined)));
  });
  if (!listened.ok) return listened;
  server.on('error', (e) => log.warn(`metrics: ${e.message}`));
  const bound = server.address();
  const port = typeof bound === 'object' && bound !== null ? bound.port : listen.port;
  return ok({
    address: { host: listen.host, port },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
