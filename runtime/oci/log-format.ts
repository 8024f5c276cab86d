// The CRI container log format that conmon writes (`-l k8s-file:PATH`) and kubelet/crictl read:
//   <RFC3339Nano timestamp> <stdout|stderr> <P|F> <message>\n
// P marks a partial line (the writer had no newline yet, or split a long line); F ends one.
// A reader joins P pieces up to the next F of the same stream to get what was written.

export type LogStream = 'stdout' | 'stderr';

export interface CriLogLine {
  /** The timestamp as written (kept as text: nanoseconds do not fit a Date). */
  timestamp: string;
  stream: LogStream;
  partial: boolean;
  message: string;
}

// Date, time with optional fraction (up to 9 digits), then Z or a ±hh:mm offset.
const rfc3339Nano = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** One log line (without its trailing newline); undefined when it is not in the CRI format. */
export function parseCriLogLine(line: string): CriLogLine | undefined {
  const first = line.indexOf(' ');
  const second = first < 0 ? -1 : line.indexOf(' ', first + 1);
  if (second < 0) return undefined;
  const timestamp = line.slice(0, first);
  const stream = line.slice(first + 1, second);
  if (!rfc3339Nano.test(timestamp) || (stream !== 'stdout' && stream !== 'stderr')) return undefined;
  // The tag is followed by one space and the message; an empty message may lack the space.
  const rest = line.slice(second + 1);
  const tag = rest.slice(0, 1);
  if ((tag !== 'P' && tag !== 'F') || (rest.length > 1 && rest[1] !== ' ')) return undefined;
  return { timestamp, stream, partial: tag === 'P', message: rest.slice(2) };
}

export interface CriLogEntry {
  timestamp: string;
  stream: LogStream;
  /** The whole line as the container wrote it, without the newline. */
  message: string;
}

export interface ParsedCriLog {
  entries: CriLogEntry[];
  /** Lines that were not in the CRI format (1-based line numbers). */
  malformed: number[];
  /** Partial pieces per stream still waiting for their F line at the end of the file. */
  pending: CriLogEntry[];
}

/** A whole log file's text, P pieces joined into the line they belong to. */
export function parseCriLog(text: string): ParsedCriLog {
  const entries: CriLogEntry[] = [];
  const malformed: number[] = [];
  const open = new Map<LogStream, CriLogEntry>();
  const lines = text.split('\n');
  // A file that ends with a newline yields a final empty string: not a line.
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((raw, index) => {
    const line = parseCriLogLine(raw);
    if (!line) {
      malformed.push(index + 1);
      return;
    }
    const started = open.get(line.stream);
    const joined: CriLogEntry = started ? { ...started, message: started.message + line.message } : { timestamp: line.timestamp, stream: line.stream, message: line.message };
    if (line.partial) {
      open.set(line.stream, joined);
    } else {
      open.delete(line.stream);
      entries.push(joined);
    }
  });
  return { entries, malformed, pending: [...open.values()] };
}

/** One CRI log line for `message` (which must not contain a newline). */
export function formatCriLogLine(line: CriLogLine): string {
  return `${line.timestamp} ${line.stream} ${line.partial ? 'P' : 'F'} ${line.message}\n`;
}
