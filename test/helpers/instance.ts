// One vrrp_instance for the Instance unit tests: VI_1 on eth0 (ifindex 2, 192.0.2.11), VRID 51,
// advert_int 1, plus `body`; its host puts every VIP on eth0.
import type { Config, InstanceConfig } from '../../src/config/config.js';
import { parseConfigText } from '../../src/config/load.js';
import { parseIpv4, type Ipv4 } from '../../src/types.js';
import type { InstanceHost } from '../../src/instance/instance.js';

export const OWN_ADDRESS = parseIpv4('192.0.2.11') as Ipv4;
export const ETH0_MAC = Buffer.from([2, 0, 0xc0, 0, 2, 0x0b]);

export function instanceConfig(body: string): InstanceConfig {
  const loaded = parseConfigText(`vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n advert_int 1\n ${body}\n}\n`, 'test.conf');
  const inst = (loaded.config as Config | undefined)?.instances[0];
  if (inst === undefined) throw new Error(loaded.diagnostics.map((d) => d.message).join('; '));
  return inst;
}

export function hostFor(config: InstanceConfig): InstanceHost {
  return { ifname: 'eth0', ifindex: 2, ownAddress: OWN_ADDRESS, vips: config.vips.map((vip) => ({ vip, ifname: 'eth0', ifindex: 2, mac: ETH0_MAC })) };
}
