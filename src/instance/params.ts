// From a typed vrrp_instance config and what the host tells us (our primary address, where each
// VIP lives) to the parameters the protocol core runs on.
import type { InstanceConfig } from '../config/config.js';
import type { Ipv4 } from '../types.js';
import type { InstanceParams } from '../vrrp/fsm.js';
import type { VipPlace } from '../vrrp/vip-diff.js';
import type { VipLink } from './vips.js';

export function instanceParams(config: InstanceConfig, host: { readonly ownAddress: Ipv4; readonly vips: readonly VipLink[] }): InstanceParams {
  const ownAddress = host.ownAddress;
  return {
    name: config.name,
    basePriority: config.priority,
    advertIntMs: config.advertIntMs,
    preempt: config.preempt,
    wantState: config.wantState,
    ownAddress,
    downTimerAdverts: config.downTimerAdverts,
    garpMasterDelayMs: config.garpMasterDelayMs,
    garpMasterRepeat: config.garpMasterRepeat,
    garpLowerPrioDelayMs: config.garpLowerPrioDelayMs,
    garpLowerPrioRepeat: config.garpLowerPrioRepeat,
    skipCheckAdvAddr: config.skipCheckAdvAddr,
    preemptDelayMs: config.preemptDelayMs,
    garpMasterRefreshMs: config.garpMasterRefreshMs,
    garpMasterRefreshRepeat: config.garpMasterRefreshRepeat,
    lowerPrioNoAdvert: config.lowerPrioNoAdvert,
    higherPrioSendAdvert: config.higherPrioSendAdvert,
    inSyncGroup: config.syncGroup !== undefined,
    faultNoPeer: config.unicastFaultNoPeer && config.unicastPeers.length === 0,
    notifyDeleted: config.notifyDeleted,
    vips: host.vips.map(vipPlace),
  };
}

export const vipPlace = (link: VipLink): VipPlace => ({ address: link.vip.address, prefixLength: link.vip.prefixLength, ifindex: link.ifindex });
