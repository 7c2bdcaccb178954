// Tracked links from rtnetlink: up = IFF_UP and running (carrier), repeats ignored, deletion is
// down, re-creation under a new index is up again, keepalived's lines for tracked names only.
import { describe, expect, it } from 'vitest';
import { applyLinkEvent, isNameUp, linkIsUp, resyncLinks, tableFrom, type LinkFlags } from '../../src/track/links.js';

const link = (index: number, name: string, up = true, lowerUp = true): LinkFlags => ({ index, name, up, lowerUp });
const tracked = new Set(['eth0', 'eth1']);

describe('linkIsUp', () => {
  it('needs IFF_UP and carrier', () => {
    expect(linkIsUp(link(1, 'a', true, true))).toBe(true);
    expect(linkIsUp(link(1, 'a', true, false))).toBe(false);
    expect(linkIsUp(link(1, 'a', false, true))).toBe(false);
  });

  it('uses IFF_RUNNING when the source gives it (keepalived FLAGS_UP)', () => {
    expect(linkIsUp({ ...link(1, 'a', true, true), running: false })).toBe(false);
    expect(linkIsUp({ ...link(1, 'a', true, false), running: true })).toBe(true);
  });
});

describe('applyLinkEvent', () => {
  const start = tableFrom([link(1, 'lo'), link(2, 'eth0'), link(3, 'eth1', true, false)]);

  it('reads the dump', () => {
    expect(isNameUp(start, 'eth0')).toBe(true);
    expect(isNameUp(start, 'eth1')).toBe(false);
    expect(isNameUp(start, 'eth9')).toBe(false);
  });

  it('a carrier loss is a change with "Netlink reports eth0 down"', () => {
    const u = applyLinkEvent(start, { kind: 'link', link: link(2, 'eth0', true, false) }, tracked);
    expect(u.changes).toEqual([{ name: 'eth0', up: false }]);
    expect(u.logs).toEqual(['Netlink reports eth0 down']);
    const back = applyLinkEvent(u.table, { kind: 'link', link: link(2, 'eth0') }, tracked);
    expect(back.changes).toEqual([{ name: 'eth0', up: true }]);
    expect(back.logs).toEqual(['Netlink reports eth0 up']);
  });

  it('a repeated RTM_NEWLINK (MAC, MTU... changed) is no change', () => {
    const u = applyLinkEvent(start, { kind: 'link', link: link(2, 'eth0') }, tracked);
    expect(u.changes).toEqual([]);
    expect(u.logs).toEqual([]);
  });

  it('untracked links change silently', () => {
    const u = applyLinkEvent(start, { kind: 'link', link: link(1, 'lo', false) }, tracked);
    expect(u.changes).toEqual([]);
    expect(u.logs).toEqual([]);
    expect(isNameUp(u.table, 'lo')).toBe(false);
  });

  it('a deleted link is down; the same name under a new index is up again', () => {
    const gone = applyLinkEvent(start, { kind: 'linkDeleted', index: 2, name: 'eth0' }, tracked);
    expect(gone.changes).toEqual([{ name: 'eth0', up: false }]);
    expect(gone.logs).toEqual(['Interface eth0 deleted']);
    const added = applyLinkEvent(gone.table, { kind: 'link', link: link(17, 'eth0', false, false) }, tracked);
    expect(added.changes).toEqual([]);
    expect(added.logs).toEqual(['Interface eth0 added']);
    const up = applyLinkEvent(added.table, { kind: 'link', link: link(17, 'eth0') }, tracked);
    expect(up.changes).toEqual([{ name: 'eth0', up: true }]);
    expect(up.logs).toEqual(['Netlink reports eth0 up']);
  });

  it('deleting an unknown index changes nothing', () => {
    const u = applyLinkEvent(start, { kind: 'linkDeleted', index: 99, name: 'x' }, tracked);
    expect(u.table).toBe(start);
    expect(u.changes).toEqual([]);
  });

  it('a rename moves the state from the old name to the new one', () => {
    const u = applyLinkEvent(start, { kind: 'link', link: link(2, 'eth1') }, tracked);
    expect(u.logs[0]).toBe('Interface name has changed from eth0 to eth1');
    expect(u.changes).toEqual([
      { name: 'eth0', up: false },
      { name: 'eth1', up: true },
    ]);
  });
});

describe('resyncLinks (after lost events)', () => {
  it('reports what changed between the table and a fresh dump', () => {
    const before = tableFrom([link(2, 'eth0'), link(3, 'eth1')]);
    const u = resyncLinks(before, [link(3, 'eth1', true, false)], tracked);
    expect(u.changes).toEqual([
      { name: 'eth0', up: false },
      { name: 'eth1', up: false },
    ]);
    expect(u.logs).toEqual(['Interface eth0 deleted', 'Netlink reports eth1 down']);
  });
});
