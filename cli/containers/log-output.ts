// `berth logs` and an attached `berth run`: the container's CRI log file (conmon writes it,
// "<time> <stream> <P|F> <text>" per line) back into the bytes the container wrote, each stream
// to its own descriptor. Partial (P) pieces are written at once, so a progress line without a
// newline shows as it comes; the file is read from where the last read ended while following.
import type { Writable } from 'node:stream';
import type { FileTail } from '../../common/file-tail.js';
import { parseCriLogLine, type LogStream } from '../../runtime/oci/log-format.js';

export interface LogPiece {
  stream: LogStream;
  timestamp: string;
  text: string;
  /** The piece ends a line (F), so a newline follows it. */
  endsLine: boolean;
}

/** Turns the log file's text, fed in any chunks, into pieces; lines not in the CRI format are skipped. */
export class CriLogDecoder {
  private carry = '';

  feed(text: string): LogPiece[] {
    const lines = (this.carry + text).split('\n');
    this.carry = lines.pop() ?? '';
    const pieces: LogPiece[] = [];
    for (const raw of lines) {
      const line = parseCriLogLine(raw);
      if (line) pieces.push({ stream: line.stream, timestamp: line.timestamp, text: line.message, endsLine: !line.partial });
    }
    return pieces;
  }
}

/** The last `count` whole lines' pieces (a line's partial pieces stay with it). */
export function lastLines(pieces: readonly LogPiece[], count: number): LogPiece[] {
  if (count <= 0) return [];
  let seen = 0;
  for (let i = pieces.length - 1; i >= 0; i--) {
    if (pieces[i]?.endsLine) {
      seen += 1;
      if (seen > count) return pieces.slice(i + 1);
    }
  }
  return [...pieces];
}

export interface LogWriters {
  stdout: Writable;
  stderr: Writable;
}

/** Writes pieces as the container wrote them; with timestamps, each line starts with its time. */
export class LogPrinter {
  private readonly atLineStart: Record<LogStream, boolean> = { stdout: true, stderr: true };

  constructor(
    private readonly writers: LogWriters,
    private readonly timestamps = false,
  ) {}

  print(pieces: readonly LogPiece[]): void {
    for (const piece of pieces) {
      const prefix = this.timestamps && this.atLineStart[piece.stream] ? `${piece.timestamp} ` : '';
      this.writers[piece.stream].write(`${prefix}${piece.text}${piece.endsLine ? '\n' : ''}`);
      this.atLineStart[piece.stream] = piece.endsLine;
    }
  }
}

export interface FollowOptions {
  /** Whether more may come: false once the container has exited. */
  running: () => Promise<boolean>;
  pollMs?: number;
  /** Resolves when the caller stops following (Ctrl-C on `logs -f`). */
  stopped?: Promise<void>;
}

/** Prints what the file holds now and, while the container runs, what it gains; ends after a last read once it stopped. */
export async function followLog(tail: FileTail, decoder: CriLogDecoder, printer: LogPrinter, options: FollowOptions): Promise<void> {
  const pollMs = options.pollMs ?? 100;
  let stop = false;
  void options.stopped?.then(() => (stop = true));
  for (;;) {
    const running = await options.running();
    // Read after asking: whatever the container wrote before it exited is in the file by now.
    printer.print(decoder.feed(await tail.readNew()));
    if (!running || stop) return;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
