// keepalived 2.2's command line (keepalived/core/main.c parse_cmdline() and usage() of the
// Debian 2.2.7 build) flag by flag, with what vrrpd does with each. One table feeds the parser and
// `-h` (src/cli/main.ts), docs/command-line.md's table and test/unit/cli-flags.test.ts, so the
// three cannot drift apart.
//
// `same`: the flag means what it means to keepalived. `note`: accepted, it changes nothing in
// vrrpd and a one-line note on stderr says why (the thing it asks for does not exist here).
// `refused`: message and exit 1, as keepalived refuses an option it was built without - used where
// starting anyway would silently drop something the user relies on (SNMP, a checker, a namespace).
// Flags only debug/perf/mem-check builds have (`--perf`, `--debug`, `--no-mem-check`, `-L`, `-O`)
// are not in the table: like the Debian binary, vrrpd calls them unknown (exit 1).

export type FlagBehaviour = 'same' | 'note' | 'refused';

export interface FlagArg {
  readonly name: string;
  /** getopt's optional_argument (`-g[FILE]`, `--log-file=FILE`). */
  readonly optional: boolean;
}

export interface FlagRow {
  /** The short letter without '-', when keepalived has one. */
  readonly short?: string;
  /** The long name without '--'. */
  readonly long: string;
  readonly arg?: FlagArg;
  /** keepalived 2.2's meaning (its usage text: keepalived/core/main.c usage()). */
  readonly keepalived: string;
  readonly vrrpd: FlagBehaviour;
  /** What vrrpd does and why (docs/command-line.md, -h). */
  readonly why: string;
  /** `note`: the line printed on stderr when the flag is used; `refused`: the reason printed. */
  readonly message?: string;
}

const file = (optional = false): FlagArg => ({ name: 'FILE', optional });

export const FLAGS: readonly FlagRow[] = [
  { short: 'f', long: 'use-file', arg: file(), keepalived: 'use the specified configuration file (default /etc/keepalived/keepalived.conf)', vrrpd: 'same', why: 'default /etc/vrrpd.conf' },
  { short: 'P', long: 'vrrp', keepalived: 'only run the VRRP subsystem', vrrpd: 'same', why: 'vrrpd has no other subsystem' },
  {
    short: 'C', long: 'check', keepalived: 'only run the health-checker (LVS) subsystem', vrrpd: 'refused',
    why: 'vrrpd has no health checker: with -C it would run nothing at all',
    message: 'vrrpd has no health-checker (LVS) subsystem, so -C would run nothing; run keepalived -C for the checkers',
  },
  { short: 'B', long: 'no_bfd', keepalived: "don't run the BFD subsystem", vrrpd: 'same', why: 'vrrpd never runs BFD' },
  {
    long: 'all', keepalived: 'start every child process even if it has no configuration', vrrpd: 'note',
    why: 'there is only the VRRP process', message: 'vrrpd runs only VRRP: no checker or BFD process is started',
  },
  { short: 'l', long: 'log-console', keepalived: 'also log to the console (with -n)', vrrpd: 'same', why: "keepalived's timestamped text on stderr; ignored when detached, as keepalived does (in the foreground stdout always carries structured JSON lines)" },
  { short: 'D', long: 'log-detail', keepalived: 'detailed log messages (-DD: extra detail, BFD only)', vrrpd: 'same', why: "keepalived's -D lines (\"Receive advertisement timeout\", every \"Sending gratuitous ARP\", \"sent 0 priority\", \"Stopped - used ...\"); -DD is -D" },
  { short: 'S', long: 'log-facility', arg: { name: '[0-7]|local[0-7]|user|daemon', optional: false }, keepalived: 'syslog facility LOG_LOCAL0-7, user or daemon (default)', vrrpd: 'same', why: "an invalid one is reported (\"Invalid log facility 'x'\") and daemon is used; -t then exits 5, as keepalived's does" },
  {
    short: 'g', long: 'log-file', arg: file(true), keepalived: 'log to FILE (default keepalived.log; _vrrp inserted before the last . for the VRRP child); Debian/RHEL builds refuse it', vrrpd: 'same',
    why: "keepalived's text lines (\"Wed Nov 25 12:36:54.123000000 2026: (VI_1) Entering MASTER STATE\") appended to FILE exactly as named (one process: no _vrrp), default /var/log/vrrpd.log",
  },
  { long: 'flush-log-file', keepalived: 'flush the log file after each line', vrrpd: 'same', why: 'every line is written to the file at once anyway' },
  { short: 'G', long: 'no-syslog', keepalived: "don't log via syslog", vrrpd: 'same', why: '' },
  { short: 'u', long: 'umask', arg: { name: 'MASK', optional: false }, keepalived: 'umask for file creation (numeric; default 0177)', vrrpd: 'same', why: "octal 0NNN, hex 0xNN or decimal, as strtol base 0; a bad one is reported and 0177 kept; notify and check scripts inherit it" },
  { short: 'X', long: 'release-vips', keepalived: 'drop VIPs on a transition caused by a signal (reload)', vrrpd: 'same', why: 'vrrpd always removes the VIPs when it leaves MASTER' },
  { short: 'V', long: 'dont-release-vrrp', keepalived: "don't remove VRRP VIPs and routes on daemon stop", vrrpd: 'same', why: 'on stop a MASTER keeps its VIPs and sends no priority 0 (the backup takes over after Master_Down_Interval); notify STOP still runs' },
  { short: 'I', long: 'dont-release-ipvs', keepalived: "don't remove the IPVS topology on daemon stop", vrrpd: 'same', why: 'vrrpd never touches IPVS' },
  {
    short: 'R', long: 'dont-respawn', keepalived: "don't respawn a dead child; the parent exits instead", vrrpd: 'note',
    why: 'vrrpd is one process: nothing respawns it but systemd (Restart=)', message: 'vrrpd is a single process and never respawns anything; use systemd Restart= to restart it',
  },
  { short: 'n', long: 'dont-fork', keepalived: "don't fork the daemon process", vrrpd: 'same', why: '' },
  { short: 'd', long: 'dump-conf', keepalived: 'dump the configuration to the log at start-up', vrrpd: 'same', why: 'the effective config (defaults applied) as JSON, one log line per line; with -t on stdout. --dump is the same' },
  { short: 'p', long: 'pid', arg: file(), keepalived: 'pidfile of the parent process (default /run/keepalived.pid)', vrrpd: 'same', why: 'default /run/vrrpd.pid; written 0644 whatever the umask, as keepalived writes it' },
  { short: 'r', long: 'vrrp_pid', arg: file(), keepalived: 'pidfile of the VRRP child (default /run/keepalived_vrrp.pid)', vrrpd: 'same', why: "vrrpd is the VRRP process: its pid is written there too (only when -r is given), removed at exit" },
  {
    short: 'T', long: 'genhash', keepalived: 'genhash utility mode (HTTP checker digests)', vrrpd: 'refused',
    why: 'a checker tool, not part of VRRP', message: 'vrrpd has no genhash mode (it is keepalived\'s HTTP checker tool)',
  },
  {
    short: 'c', long: 'checkers_pid', arg: file(), keepalived: 'pidfile of the checker child', vrrpd: 'note',
    why: 'there is no checker process; the file is not written', message: 'vrrpd has no checker process: the checkers pidfile is not written',
  },
  {
    short: 'a', long: 'address-monitoring', keepalived: 'log every address addition/deletion netlink reports', vrrpd: 'same',
    why: "\"Netlink reflector reports IP 192.0.2.200 added to eth0\" / \"removed from\" for every IPv4 address of the namespace",
  },
  {
    short: 'b', long: 'bfd_pid', arg: file(), keepalived: 'pidfile of the BFD child', vrrpd: 'note',
    why: 'there is no BFD process; the file is not written', message: 'vrrpd has no BFD process: the BFD pidfile is not written',
  },
  {
    short: 'x', long: 'snmp', keepalived: 'enable the SNMP AgentX subsystem', vrrpd: 'refused',
    why: 'no SNMP agent yet: starting without the MIB your monitoring polls would look like a dead agent', message: 'vrrpd has no SNMP agent (KEEPALIVED-MIB, RFC 2787)',
  },
  {
    short: 'A', long: 'snmp-agent-socket', arg: file(), keepalived: 'socket of the SNMP master agent', vrrpd: 'refused',
    why: 'as -x', message: 'vrrpd has no SNMP agent (KEEPALIVED-MIB, RFC 2787)',
  },
  {
    short: 's', long: 'namespace', arg: { name: 'NAME', optional: false }, keepalived: 'run in network namespace NAME (pidfiles under /run/keepalived/keepalived_NAME)', vrrpd: 'refused',
    why: 'not implemented; running in the root namespace instead would take VIPs on the wrong interfaces', message: 'vrrpd cannot enter a network namespace itself: run it as ip netns exec NAME vrrpd ...',
  },
  {
    short: 'm', long: 'core-dump', keepalived: 'produce a core dump on abnormal termination', vrrpd: 'note',
    why: 'a JavaScript process has no useful core; a crash is a stack trace in the log', message: 'vrrpd does not produce core dumps: an internal error is logged with its stack trace',
  },
  {
    short: 'M', long: 'core-dump-pattern', arg: { name: 'PATN', optional: true }, keepalived: 'as -m, and set /proc/sys/kernel/core_pattern to PATN (default core)', vrrpd: 'note',
    why: 'as -m; the system-wide core_pattern is left alone', message: 'vrrpd does not produce core dumps and leaves /proc/sys/kernel/core_pattern alone',
  },
  { short: 'e', long: 'all-config', keepalived: 'error if any configuration file is missing (as include_check)', vrrpd: 'same', why: '' },
  { short: 'i', long: 'config-id', arg: { name: 'ID', optional: false }, keepalived: "keep '@ID' configuration lines for ID (default: host name up to the first .)", vrrpd: 'same', why: '' },
  {
    long: 'signum', arg: { name: 'SIGFUNC', optional: false }, keepalived: 'print the signal number of STOP, RELOAD, DATA, STATS, STATS_CLEAR, JSON', vrrpd: 'same',
    why: 'same numbers (STOP 15, RELOAD 1, DATA 10, STATS 12, STATS_CLEAR = SIGRTMAX-1 = 63, JSON = SIGRTMIN+2 = 36 on glibc, 37 on musl), same "Unknown sigfunc X" and exit 1',
  },
  { short: 't', long: 'config-test', arg: file(true), keepalived: 'check the configuration, output to stderr or LOG_FILE', vrrpd: 'same', why: "keepalived's exit codes 0/4/5/6, file:line messages and a summary line" },
  {
    long: 'config-fd', arg: { name: 'FD', optional: false }, keepalived: "internal: a child reads the parent's in-memory copy of the configuration", vrrpd: 'refused',
    why: 'internal to keepalived\'s parent/child split', message: 'vrrpd reads its configuration from -f; --config-fd is internal to keepalived',
  },
  { short: 'v', long: 'version', keepalived: 'display the version number', vrrpd: 'same', why: 'one line on stdout' },
  { short: 'h', long: 'help', keepalived: 'display this help message', vrrpd: 'same', why: '' },
];

/** `-f, --use-file=FILE` as keepalived's usage writes it. */
export function flagSpelling(f: FlagRow): string {
  const names = `${f.short === undefined ? '    ' : `-${f.short}, `}--${f.long}`;
  if (f.arg === undefined) return names;
  return f.arg.optional ? `${names}[=${f.arg.name}]` : `${names}=${f.arg.name}`;
}

/** docs/command-line.md's flag table, generated from FLAGS. */
export function flagsMarkdown(): string {
  const behaviour: Record<FlagBehaviour, string> = { same: 'same', note: 'accepted, note', refused: 'refused, exit 1' };
  const cell = (s: string): string => s.replace(/\|/g, '\\|');
  const rows = FLAGS.map((f) => `| \`${cell(flagSpelling(f).trim())}\` | ${cell(f.keepalived)} | ${behaviour[f.vrrpd]} | ${cell(f.why)} |`);
  return ['| flag | keepalived 2.2 | vrrpd | what vrrpd does, why |', '|---|---|---|---|', ...rows].join('\n');
}
