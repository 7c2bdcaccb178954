// The sync group driver over members the instance hands it (DrivenInstance): a member joining
// again (a re-created interface's refresh) keeps the group's state; a new driver after a reload
// starts the group afresh, so its notify runs again at the next event.
import { describe, expect, it } from 'vitest';
import { hostFor, instanceConfig } from '../helpers/instance.js';
import { instanceParams } from '../../src/instance/params.js';
import { SyncGroupDriver, type DrivenInstance } from '../../src/instance/drivers.js';
import { initialState, type Action, type FsmState } from '../../src/vrrp/fsm.js';
import type { GroupAction } from '../../src/vrrp/sync.js';

function member(name: string, vrid: number): DrivenInstance & { readonly actions: Action[] } {
  const config = instanceConfig(`priority 100\nvirtual_ipaddress {\n192.0.2.${200 + vrid}\n}`.replace('VI_1', name));
  let state: FsmState = initialState({ ...instanceParams(config, hostFor(config)), name, inSyncGroup: true });
  const actions: Action[] = [];
  return {
    actions,
    name: () => name,
    state: () => state,
    cause: () => 'test',
    apply: (s, a) => {
      state = s;
      actions.push(...a);
    },
    setState: (s) => {
      state = s;
    },
    execute: (a) => void actions.push(a),
    noteCause: () => undefined,
  };
}

describe('SyncGroupDriver', () => {
  it('a member joining again keeps the group; a new driver notifies the group state again', () => {
    const group: GroupAction[] = [];
    const driver = new SyncGroupDriver('G', (_name, action) => void group.push(action));
    const a = member('VI_1', 1);
    const b = member('VI_2', 2);
    driver.join(a);
    driver.join(b);
    driver.feed(a, { type: 'startup' }, 0);
    driver.feed(b, { type: 'startup' }, 0);
    expect(group).toEqual([{ type: 'notify', state: 'BACKUP' }]);
    driver.join(a); // the same member again: nothing reset
    driver.feed(a, { type: 'faultCleared' }, 100);
    expect(group).toHaveLength(1);
    const fresh = new SyncGroupDriver('G', (_name, action) => void group.push(action));
    fresh.join(a);
    fresh.join(b);
    fresh.feed(a, { type: 'faultCleared' }, 200);
    expect(group).toEqual([{ type: 'notify', state: 'BACKUP' }, { type: 'notify', state: 'BACKUP' }]);
  });
});
