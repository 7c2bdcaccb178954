// The JSON signal's file against keepalived 2.2.7's keepalived.json from the captured pair: the
// same field names, JSON types and nesting (a schema derived from the fixture must accept ours),
// the right values for the pair's configs and states, and an exporter-like reader sees the same.
import { describe, expect, it } from 'vitest';
import { formatJson } from '../../src/dump/json.js';
import { dumpFixture, nodeA, nodeB } from '../helpers/dump-pair.js';

/** A JSON value's shape: its type, and recursively its keys or its elements' shape. */
type Schema =
  | { readonly type: 'string' | 'number' | 'boolean' | 'null' }
  | { readonly type: 'array'; readonly items: Schema | undefined }
  | { readonly type: 'object'; readonly keys: ReadonlyMap<string, Schema> };

function schemaOf(v: unknown): Schema {
  if (v === null) return { type: 'null' };
  if (Array.isArray(v)) return { type: 'array', items: v.length > 0 ? schemaOf(v[0]) : undefined };
  if (typeof v === 'object') return { type: 'object', keys: new Map(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, schemaOf(x)])) };
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return { type: v === undefined ? 'null' : typeof v } as Schema;
  throw new Error(`not JSON: ${String(v)}`);
}

/**
 * keepalived writes these only when the instance has them (vrrp_json.c: notify scripts, excluded
 * VIPs, virtual routes/rules, tracked interfaces and scripts); the fixture's pair has none, so
 * ours may have them (the lab's h1.conf/h2.conf since gained a `notify` script) as strings or
 * string arrays.
 */
const CONDITIONAL: ReadonlyMap<string, Schema> = new Map<string, Schema>([
  ...['script_backup', 'script_master', 'script_fault', 'script_stop', 'script_deleted', 'script', 'script_master_rx_lower_pri'].map(
    (k) => [k, { type: 'string' }] as const,
  ),
  ...['vips', 'evips', 'vroutes', 'vrules', 'track_ifp', 'track_script'].map((k) => [k, { type: 'array', items: { type: 'string' } }] as const),
]);

/** Problems found when `value` is read with `schema`; [] = accepted. */
function check(schema: Schema, value: unknown, path = '$'): string[] {
  const actual = schemaOf(value);
  if (actual.type !== schema.type) return [`${path}: ${actual.type}, expected ${schema.type}`];
  if (schema.type === 'array') {
    const items = value as unknown[];
    return schema.items === undefined ? [] : items.flatMap((x, i) => check(schema.items as Schema, x, `${path}[${i}]`));
  }
  if (schema.type === 'object') {
    const obj = value as Record<string, unknown>;
    const missing = [...schema.keys.keys()].filter((k) => !(k in obj)).map((k) => `${path}.${k}: missing`);
    const wrong = Object.entries(obj).flatMap(([k, x]) => {
      const s = schema.keys.get(k) ?? CONDITIONAL.get(k);
      return s === undefined ? [`${path}.${k}: not in keepalived's format`] : check(s, x, `${path}.${k}`);
    });
    return [...missing, ...wrong];
  }
  return [];
}

/** What a keepalived exporter reads from the file (e.g. keepalived-exporter's JSON collector). */
function exporterRead(text: string): unknown[] {
  const parsed = JSON.parse(text) as { data: Record<string, unknown>; stats: Record<string, number> }[];
  return parsed.map(({ data, stats }) => ({
    iname: data['iname'],
    state: ['INIT', 'BACKUP', 'MASTER', 'FAULT'][data['state'] as number],
    wantstate: data['wantstate'],
    vrid: data['vrid'],
    ifname: data['ifp_ifname'],
    vips: (data['vips'] as string[]).map((v) => v.split(' ')[0]),
    priority: data['effective_priority'],
    lastTransition: data['last_transition'],
    advertRcvd: stats['advert_rcvd'],
    advertSent: stats['advert_sent'],
    becomeMaster: stats['become_master'],
    releaseMaster: stats['release_master'],
    errors: stats['packet_len_err']! + stats['ip_ttl_err']! + stats['auth_failure']! + stats['addr_list_err']!,
    priZero: [stats['pri_zero_rcvd'], stats['pri_zero_sent']],
  }));
}

const withoutNotify = (text: string): string => text.replace(`"script":"'/usr/local/bin/notify.sh'",`, '');
/** vrrpd's faster-heal default (docs/keepalived-differences.md "Faster heal"): 1 here, 0 in keepalived's file. */
const asKeepalivedDefault = (text: string): string => text.replace('"higher_prio_send_advert":1,', '"higher_prio_send_advert":0,');

describe('JSON dump against keepalived.json', () => {
  const pairs = [
    { name: 'node A (MASTER)', ours: formatJson(nodeA()), fixture: dumpFixture('keepalived.json') },
    { name: 'node B (BACKUP)', ours: formatJson(nodeB()), fixture: dumpFixture('keepalived-backup.json') },
  ];

  for (const { name, ours, fixture } of pairs) {
    it(`${name}: the schema of keepalived's file accepts ours`, () => {
      expect(check(schemaOf(JSON.parse(fixture)), JSON.parse(ours))).toEqual([]);
    });

    it(`${name}: byte for byte keepalived's text but for the lab's notify script and the faster-heal default`, () => {
      expect(ours).toContain(`"script":"'/usr/local/bin/notify.sh'",`);
      expect(ours).toContain('"higher_prio_send_advert":1,');
      expect(asKeepalivedDefault(withoutNotify(ours))).toBe(fixture);
    });

    it(`${name}: an exporter-like reader sees the same`, () => {
      expect(exporterRead(ours)).toEqual(exporterRead(fixture));
    });
  }

  it('the schema check rejects a wrong type, a missing field and a field keepalived lacks', () => {
    const schema = schemaOf(JSON.parse(dumpFixture('keepalived.json')));
    const ours = JSON.parse(formatJson(nodeA())) as { data: Record<string, unknown> }[];
    const first = ours[0];
    if (!first) throw new Error('no instance');
    first.data['state'] = 'MASTER';
    delete first.data['vrid'];
    first.data['role'] = 'MASTER';
    expect(check(schema, ours)).toEqual(['$[0].data.vrid: missing', '$[0].data.state: string, expected number', "$[0].data.role: not in keepalived's format"]);
  });

  it('states are keepalived\'s numbers and counters are live values', () => {
    const read = exporterRead(formatJson(nodeB({ advertReceived: 42, authFailures: 3 })));
    expect(read).toMatchObject([{ state: 'BACKUP', wantstate: 1, advertRcvd: 42, errors: 3, vips: ['192.0.2.200'] }]);
    const fault = nodeA();
    const inst = fault.instances[0];
    if (!inst) throw new Error('no instance');
    const faulted = { ...fault, instances: [{ ...inst, snapshot: { ...inst.snapshot, state: 'FAULT' as const, wantState: 'FAULT' as const, vipSet: false } }] };
    expect(JSON.parse(formatJson(faulted))).toMatchObject([{ data: { state: 3, wantstate: 3, vipset: false, vips: ['192.0.2.200 dev eth0 scope global'] } }]);
  });
});
