// notify_master / _backup / _fault / _stop / _deleted / notify / notify_master_rx_lower_pri, in an
// instance or a sync group (vrrp_parser.c vrrp_notify_*_handler, vrrp_gnotify_*_handler): a command
// line plus an optional `user [group]`, re-read shell-like (command-line.ts). keepalived keeps the
// first of a repeated notify_* and ignores the rest with a config error.
import type { CommandConfig, NotifyScripts } from './config.js';
import { ownerPrefix, readNotifyCommand } from './command-line.js';
import { notSupportedYet } from './keywords.js';
import type { KeywordSpec } from './keywords.js';
import type { SourcePos } from '../types.js';

export type NotifyKey = keyof NotifyScripts;

/** keyword -> field; sync groups have no notify_deleted / notify_master_rx_lower_pri. */
export const instanceNotifyKeywords: ReadonlyArray<readonly [string, NotifyKey]> = [
  ['notify_master', 'master'],
  ['notify_backup', 'backup'],
  ['notify_fault', 'fault'],
  ['notify_stop', 'stop'],
  ['notify_deleted', 'deleted'],
  ['notify', 'generic'],
  ['notify_master_rx_lower_pri', 'masterRxLowerPri'],
];
export const syncGroupNotifyKeywords = instanceNotifyKeywords.filter(([, key]) => key !== 'deleted' && key !== 'masterRxLowerPri');

export interface NotifyDraft {
  readonly scripts: Partial<Record<NotifyKey, { readonly command: CommandConfig | undefined; readonly pos: SourcePos }>>;
}

export interface HasNotify {
  readonly name: string;
  readonly notify: NotifyDraft;
}

export function notifySpec<D extends HasNotify>(key: NotifyKey): KeywordSpec<D> {
  return {
    block: 'forbidden',
    // notify_deleted may stand alone: removed instances then report DELETED instead of FAULT.
    minArgs: key === 'deleted' ? 0 : 1,
    maxArgs: Number.POSITIVE_INFINITY,
    handle: (node, draft, sink) => {
      const previous = draft.notify.scripts[key];
      if (previous !== undefined) {
        sink.warn(node.pos, `${ownerPrefix(draft.name)}${node.keyword} already specified at line ${previous.pos.line} - ignoring this one`);
        return;
      }
      const command = node.args.length === 0 ? undefined : readNotifyCommand(node, draft.name, sink);
      if (node.args.length > 0 && command === undefined) return;
      draft.notify.scripts[key] = { command, pos: node.pos };
      // notify_deleted only matters at a reload that removes the instance, which is not there yet.
      if (key === 'deleted') notSupportedYet(sink, node.keyword, node.pos, 'removed instances are not reported (no reload yet)');
    },
  };
}

export function completeNotify(draft: NotifyDraft): NotifyScripts {
  const s = draft.scripts;
  return {
    master: s.master?.command,
    backup: s.backup?.command,
    fault: s.fault?.command,
    stop: s.stop?.command,
    deleted: s.deleted?.command,
    generic: s.generic?.command,
    masterRxLowerPri: s.masterRxLowerPri?.command,
  };
}
