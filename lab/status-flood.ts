// The status flood of test/lab/status.test.ts and test/lab/systemd.test.ts as one self-contained
// Node script (run with `node -e`, also inside a container that has only node): 64 clients of the
// control socket at a time (good, malformed, oversized, silent requests) for MS milliseconds, then
// one JSON line of counts. argv: SOCKET MS [PID]: with PID, also SIGUSR2 to it every 2 ms (the stats
// dump), counted as `signals`.
export const STATUS_FLOODER = `
const net = require('node:net');
const path = process.argv[1], ms = Number(process.argv[2]), pid = Number(process.argv[3] ?? 0), until = Date.now() + ms;
const kinds = ['{"cmd":"status"}\\n', 'garbage\\n', 'x'.repeat(8000), '', '{"cmd":"nope"}\\n'];
let closed = 0, answered = 0, errors = 0, n = 0, signals = 0;
function one() {
  if (Date.now() > until) return;
  const kind = kinds[n++ % kinds.length];
  const s = net.connect(path);
  s.on('connect', () => { if (kind !== '') s.write(kind); if (kind !== '' || n % 10 === 0) s.end(); else setTimeout(() => s.destroy(), 50); });
  let got = false;
  s.on('data', () => { if (!got) { got = true; answered++; } });
  s.on('close', () => { closed++; one(); });
  s.on('error', () => { errors++; });
}
for (let i = 0; i < 64; i++) one();
const usr2 = pid > 0 ? setInterval(() => { try { process.kill(pid, 'SIGUSR2'); signals++; } catch {} }, 2) : undefined;
setTimeout(() => { clearInterval(usr2); console.log(JSON.stringify({ closed, answered, errors, signals })); process.exit(0); }, ms + 500);
`;

export interface FloodCounts {
  readonly closed: number;
  readonly answered: number;
  readonly errors: number;
  readonly signals: number;
}
