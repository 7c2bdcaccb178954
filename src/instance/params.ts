// From a typed vrrp_instance config and what the host tells us (our primary address) to the
// parameters the protocol core runs on.
import type { InstanceConfig } from '../config/config.js';
import type { Ipv4 } from '../types.js';
import type { InstanceParams } from '../vrrp/fsm.js';

export function instanceParams(config: InstanceConfig, ownAddress: Ipv4): InstanceParams {
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
  };
}
