// Puts hand-made datagrams on a lab link, as a hostile or broken peer would: `node
// dist/lab/inject.js IFNAME HEX...` sends each hex string as a whole IPv4 datagram (our own header,
// IP_HDRINCL) to the destination its header names (224.0.0.18, or a unicast address) through the
// same raw socket code the daemon uses. Run inside a host's
// namespace (`ip netns exec`); prints how many were sent.
import { ifInfo } from '../src/native/addon.js';
import { openVrrpSocket } from '../src/net/vrrp-socket.js';
import { ipv4FromBytes } from '../src/types.js';

async function main(args: string[]): Promise<number> {
  const [ifname, ...hex] = args;
  if (!ifname || hex.length === 0) {
    console.error('usage: inject IFNAME HEX...');
    return 2;
  }
  const info = ifInfo(ifname);
  if (!info.ok) {
    console.error(info.error);
    return 1;
  }
  const socket = openVrrpSocket({ ifname, ifindex: info.value.index, groups: [], onDatagram: () => undefined, onError: (m) => console.error(m) });
  if (!socket.ok) {
    console.error(socket.error);
    return 1;
  }
  let sent = 0;
  for (const h of hex) {
    const datagram = Buffer.from(h, 'hex');
    if (datagram.length < 20) {
      console.error(`${h}: shorter than an IPv4 header`);
      continue;
    }
    const r = await socket.value.send(datagram, ipv4FromBytes(datagram, 16));
    if (r.ok) sent++;
    else console.error(r.error);
  }
  socket.value.close();
  console.log(`sent ${sent}`);
  return sent === hex.length ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
