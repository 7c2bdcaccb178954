// The benchmark's config: many instances over a few interfaces, the shape a large keepalived site
// has (docs/reference/keepalived-behaviour.md#scale: "users who run over 1000 vrrp instances").
// Every address is in the documentation ranges; the file is only ever parsed, never run.

export interface BenchConfigSpec {
  readonly interfaces: readonly string[];
  /** VRIDs 1..n on every interface. */
  readonly vridsPerInterface: number;
  readonly vipsPerInstance: number;
  /** vrrp_script blocks chk_0..chk_{n-1}; instance i tracks chk_{i mod n}. */
  readonly scripts: number;
  /** The command every vrrp_script runs (absolute, so no PATH search). */
  readonly scriptCommand: string;
}

export const BENCH_CONFIG: BenchConfigSpec = {
  interfaces: ['eth0', 'eth1', 'eth2', 'eth3'],
  vridsPerInterface: 250,
  vipsPerInstance: 2,
  scripts: 4,
  scriptCommand: '/usr/bin/true',
};

/** 192.0.2.1-254, then 198.51.100.1-254, then 203.0.113.1-254: 762 distinct addresses. */
export function benchAddress(index: number): string {
  const nets = ['192.0.2', '198.51.100', '203.0.113'];
  const net = nets[Math.floor(index / 254)];
  if (net === undefined) throw new Error(`bench address ${index} out of range (at most ${nets.length * 254})`);
  return `${net}.${(index % 254) + 1}`;
}

/**
 * The config text. An interface's VIPs are distinct; the same addresses repeat on the other
 * interfaces (a different `dev`), which both keepalived and vrrpd accept.
 */
export function benchConfig(spec: BenchConfigSpec = BENCH_CONFIG): string {
  const out: string[] = ['global_defs {', '    router_id bench', '    enable_script_security', '    script_user root', '}', ''];
  for (let s = 0; s < spec.scripts; s++) {
    out.push(`vrrp_script chk_${s} {`, `    script "${spec.scriptCommand}"`, '    interval 2', '    weight -20', '}', '');
  }
  let n = 0;
  for (const ifname of spec.interfaces) {
    for (let vrid = 1; vrid <= spec.vridsPerInterface; vrid++) {
      const vips: string[] = [];
      for (let v = 0; v < spec.vipsPerInstance; v++) vips.push(`        ${benchAddress((vrid - 1) * spec.vipsPerInstance + v)}/24`);
      out.push(
        `vrrp_instance VI_${ifname}_${vrid} {`,
        '    state BACKUP',
        `    interface ${ifname}`,
        `    virtual_router_id ${vrid}`,
        `    priority ${100 + (vrid % 100)}`,
        '    advert_int 1',
        '    authentication {',
        '        auth_type PASS',
        `        auth_pass b${vrid}`,
        '    }',
        '    virtual_ipaddress {',
        ...vips,
        '    }',
        '    track_script {',
        `        chk_${n % spec.scripts}`,
        '    }',
        '}',
        '',
      );
      n++;
    }
  }
  return out.join('\n');
}
