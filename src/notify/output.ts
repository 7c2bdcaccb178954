// A script's stdout and stderr, cut into lines for the log, with a budget per run. keepalived sends
// script output to /dev/null (lib/utils.c set_std_fd), so a failing notify script says nothing
// (docs/reference/keepalived-behaviour.md#script-output-lost); here every line reaches the log -
// but only so many: a script that prints megabytes costs at most `maxBytes` of log and of memory,
// and one summary line. Pure: bytes in, lines out through a callback.

export type OutputStream = 'stdout' | 'stderr';

export interface OutputLimits {
  /** Lines logged per run (both streams together). */
  readonly maxLines: number;
  /** Bytes logged per run (both streams together); also the longest line kept in memory. */
  readonly maxBytes: number;
}

export interface OutputSummary {
  readonly linesLogged: number;
  readonly bytesLogged: number;
  /** Bytes received but not logged (lines past the budget, the tails of overlong lines). */
  readonly droppedBytes: number;
}

const NEWLINE = 0x0a;

export class OutputCapture {
  private readonly partial: Record<OutputStream, Buffer[]> = { stdout: [], stderr: [] };
  private readonly partialLength: Record<OutputStream, number> = { stdout: 0, stderr: 0 };
  /** Inside a line whose head was already logged (or dropped) for being too long. */
  private readonly skipping: Record<OutputStream, boolean> = { stdout: false, stderr: false };
  private lines = 0;
  private bytes = 0;
  private dropped = 0;
  private ended = false;

  constructor(
    private readonly limits: OutputLimits,
    private readonly emit: (stream: OutputStream, line: string) => void,
  ) {}

  /** True once the budget is spent: what follows is only counted. */
  get full(): boolean {
    return this.lines >= this.limits.maxLines || this.bytes >= this.limits.maxBytes;
  }

  feed(stream: OutputStream, chunk: Buffer): void {
    if (this.ended) {
      this.dropped += chunk.length;
      return;
    }
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(NEWLINE, start);
      if (nl === -1) break;
      this.completeLine(stream, chunk.subarray(start, nl));
      start = nl + 1;
    }
    if (start < chunk.length) this.append(stream, chunk.subarray(start));
  }

  /** The run is over: flush unterminated lines; later bytes (a lingering child's) are only counted. */
  end(): OutputSummary {
    if (!this.ended) {
      for (const stream of ['stdout', 'stderr'] as const) {
        if (this.partialLength[stream] > 0) this.completeLine(stream, Buffer.alloc(0));
        this.skipping[stream] = false;
      }
      this.ended = true;
    }
    return this.summary();
  }

  summary(): OutputSummary {
    return { linesLogged: this.lines, bytesLogged: this.bytes, droppedBytes: this.dropped };
  }

  private append(stream: OutputStream, piece: Buffer): void {
    if (this.skipping[stream]) {
      this.dropped += piece.length;
      return;
    }
    this.partial[stream].push(piece);
    this.partialLength[stream] += piece.length;
    // A line longer than the whole budget is logged (cut) now, so memory stays bounded.
    if (this.partialLength[stream] >= this.limits.maxBytes) {
      this.flushLine(stream, this.take(stream));
      this.skipping[stream] = true;
    }
  }

  private completeLine(stream: OutputStream, tail: Buffer): void {
    if (this.skipping[stream]) {
      this.dropped += tail.length;
      this.skipping[stream] = false;
      return;
    }
    const line = this.partialLength[stream] === 0 ? tail : Buffer.concat([...this.take(stream), tail]);
    this.flushLine(stream, [line]);
  }

  private take(stream: OutputStream): Buffer[] {
    const pieces = this.partial[stream];
    this.partial[stream] = [];
    this.partialLength[stream] = 0;
    return pieces;
  }

  private flushLine(stream: OutputStream, pieces: readonly Buffer[]): void {
    let line = pieces.length === 1 && pieces[0] !== undefined ? pieces[0] : Buffer.concat(pieces);
    if (line.length > 0 && line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
    // Blank lines carry nothing worth a log record.
    if (line.toString('latin1').trim() === '') return;
    if (this.full) {
      this.dropped += line.length;
      return;
    }
    const room = this.limits.maxBytes - this.bytes;
    const kept = line.length <= room ? line : line.subarray(0, room);
    this.dropped += line.length - kept.length;
    this.bytes += kept.length;
    this.lines += 1;
    this.emit(stream, kept.toString('utf8'));
  }
}
