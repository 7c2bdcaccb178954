// Gratuitous ARP: the frame (pure) and a sender over the native AF_PACKET socket.
import { openPacketSocket } from '../native/addon.js';
import { err, ipv4ToBytes, ok, type Ipv4, type Result } from '../types.js';

const broadcastMac = Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
const ethertypeArp = 0x0806;
const arpHardwareEthernet = 1;
const arpProtocolIpv4 = 0x0800;
const arpOpRequest = 1;

/** Ethernet header (14) + ARP for IPv4 over Ethernet (28). */
export const garpFrameLength = 42;

/**
 * The gratuitous ARP keepalived sends for each VIP
 * (docs/reference/keepalived-behaviour.md#becoming-master, keepalived/vrrp/vrrp_arp.c
 * `send_gratuitous_arp_immediate()`): an ARP *request*, Ethernet dst broadcast, src = the interface
 * (or VMAC) address, sender MAC = src, sender IP = target IP = the VIP, target MAC
 * ff:ff:ff:ff:ff:ff. keepalived hands the kernel exactly these 42 bytes and does not pad them; the
 * captures show 42-byte frames on the bridge, and a physical NIC pads to the 60-byte Ethernet
 * minimum itself.
 */
export function buildGarpFrame(mac: Buffer, vip: Ipv4): Buffer {
  if (mac.length !== 6) throw new RangeError(`buildGarpFrame: MAC must be 6 bytes, got ${mac.length}`);
  const frame = Buffer.alloc(garpFrameLength);
  broadcastMac.copy(frame, 0);
  mac.copy(frame, 6);
  frame.writeUInt16BE(ethertypeArp, 12);
  frame.writeUInt16BE(arpHardwareEthernet, 14);
  frame.writeUInt16BE(arpProtocolIpv4, 16);
  frame.writeUInt8(6, 18); // hardware address length
  frame.writeUInt8(4, 19); // protocol address length
  frame.writeUInt16BE(arpOpRequest, 20);
  mac.copy(frame, 22); // sender hardware address
  ipv4ToBytes(vip).copy(frame, 28); // sender protocol address
  broadcastMac.copy(frame, 32); // target hardware address
  ipv4ToBytes(vip).copy(frame, 38); // target protocol address
  return frame;
}

export interface GarpSender {
  /**
   * Sends the frames back to back, in order; ok(count) when all went out. Stops at the first
   * failure (an interface that is down fails every frame alike): the error says how many were sent.
   */
  send(frames: readonly Buffer[]): Result<number, string>;
  /** Idempotent. */
  close(): void;
}

export function openGarpSender(ifname: string): Result<GarpSender, string> {
  const socket = openPacketSocket(ifname);
  if (!socket.ok) return err(`GARP socket on ${ifname}: ${socket.error}`);
  const s = socket.value;
  return ok({
    send(frames) {
      for (const [i, frame] of frames.entries()) {
        const sent = s.send(frame);
        if (!sent.ok) return err(`GARP on ${ifname}: sent ${i} of ${frames.length}: ${sent.error}`);
      }
      return ok(frames.length);
    },
    close: () => s.close(),
  });
}
