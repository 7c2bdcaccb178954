// The metrics registry over a real Instance and a fixed tracker (the HTTP scrape itself is in the
// lab test, on a namespace's loopback), and the --metrics-listen value.
import { describe, expect, it } from 'vitest';
import { createMetricsRegistry, parseListen } from '../../src/metrics/exporter.js';
import { ok } from '../../src/types.js';
import { CHK_UP, CONFIG, fixedTracker, loadConfig, makeInstance, prio, sources } from './control-fixture.js';

describe('--metrics-listen', () => {
  it('takes HOST:PORT and refuses the rest with the expected form', () => {
    expect(parseListen('127.0.0.1:9650')).toEqual(ok({ host: '127.0.0.1', port: 9650 }));
    expect(parseListen('[::1]:9650')).toEqual(ok({ host: '::1', port: 9650 }));
    expect(parseListen(':9650')).toEqual(ok({ host: '0.0.0.0', port: 9650 }));
    for (const bad of ['9650', '127.0.0.1', '127.0.0.1:0', '127.0.0.1:70000', 'a:b', '']) {
      expect(parseListen(bad)).toEqual({ ok: false, error: `invalid --metrics-listen ${JSON.stringify(bad)}: expected HOST:PORT, e.g. 127.0.0.1:9650` });
    }
  });
});

describe('metrics registry', () => {
  const config = loadConfig(CONFIG);
  const vi1 = config.instances[0];
  if (vi1 === undefined) throw new Error('no instance');

  it('state, priorities, transitions, adverts, drops by reason, script results, event-loop delay', async () => {
    const clock = { now: 1000 };
    const i = makeInstance(vi1, clock);
    i.start();
    i.feed({ type: 'timer', timer: 'masterDown' });
    i.dropped({ reason: 'badPassword', detail: 'bad password' });
    i.dropped({ reason: 'badPassword', detail: 'bad password' });
    await i.idle();
    const src = { ...sources([i], config, fixedTracker([CHK_UP], {})), timerErrors: 2 };
    src.unmatched.drops.unknownVrid = 3;
    const text = await createMetricsRegistry(() => src).metrics();
    const labels = 'instance="VI_1",vrid="51",interface="eth0"';
    expect(text).toContain(`vrrpd_instance_state{${labels},state="MASTER"} 1`);
    expect(text).toContain(`vrrpd_instance_state{${labels},state="BACKUP"} 0`);
    expect(text).toContain(`vrrpd_instance_priority{${labels},kind="base"} 150`);
    expect(text).toContain(`vrrpd_instance_priority{${labels},kind="effective"} 150`);
    expect(text).toContain(`vrrpd_transitions_total{${labels}} 2`);
    expect(text).toContain(`vrrpd_became_master_total{${labels}} 1`);
    expect(text).toContain(`vrrpd_adverts_sent_total{${labels}} 1`);
    expect(text).toContain(`vrrpd_adverts_received_total{${labels}} 0`);
    expect(text).toContain('vrrpd_drops_total{instance="VI_1",reason="badPassword"} 2');
    expect(text).toContain('vrrpd_drops_total{instance="VI_1",reason="badChecksum"} 0');
    expect(text).toContain('vrrpd_drops_total{instance="",reason="unknownVrid"} 3');
    expect(text).toMatch(/^vrrpd_timer_errors_total 2$/m);
    expect(text).toContain('vrrpd_track_script_result{script="chk_nginx",result="up"} 1');
    expect(text).toContain('vrrpd_track_script_result{script="chk_nginx",result="down"} 0');
    expect(text).toContain('vrrpd_track_script_runs_total{script="chk_nginx"} 7');
    expect(text).toMatch(/^vrrpd_instance_last_transition_timestamp_seconds\{[^}]+\} \d+(\.\d+)?$/m);
    expect(text).toMatch(/^vrrpd_nodejs_eventloop_lag_p99_seconds \d/m);
    i.dispose();
  });

  it('a reload is seen at the next scrape: the registry reads the sources each time', async () => {
    let current = sources([], config, fixedTracker([], {}));
    const registry = createMetricsRegistry(() => current);
    expect(await registry.metrics()).not.toContain('vrrpd_instance_state{');
    const i = makeInstance(vi1, { now: 0 });
    i.start({ fault: true, priority: prio(150) });
    current = sources([i], config, fixedTracker([], {}));
    expect(await registry.metrics()).toContain('vrrpd_instance_state{instance="VI_1",vrid="51",interface="eth0",state="FAULT"} 1');
    i.dispose();
  });
});
