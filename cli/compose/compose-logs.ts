// `berth compose logs` and the output of an attached `up`: every container's CRI log, each line
// after its container's name padded to the longest and " | ", as docker compose prints them,
// both streams to stdout. With -f the files are followed until every container has stopped (or
// Ctrl-C).
import { FileTail } from '../../common/file-tail.js';
import type { CriSession } from '../containers/cri-session.js';
import { CriLogDecoder, lastLines, type LogPiece } from '../containers/log-output.js';
import type { ServiceContainer } from './project-containers.js';

export interface LogsOptions {
  follow: boolean;
  timestamps: boolean;
  tail?: number;
  /** Ctrl-C ends the following (logs -f); an attached up instead stops the containers, and follows until they have stopped. */
  stopOnInterrupt?: boolean;
}

/** Pieces as lines with `prefix` before each; pure, keeps line state across calls. */
export class PrefixedPrinter {
  private atLineStart = true;

  constructor(
    private readonly prefix: string,
    private readonly timestamps: boolean,
  ) {}

  format(pieces: readonly LogPiece[]): string {
    let text = '';
    for (const piece of pieces) {
      if (this.atLineStart) text += `${this.prefix}${this.timestamps ? `${piece.timestamp} ` : ''}`;
      text += `${piece.text}${piece.endsLine ? '\n' : ''}`;
      this.atLineStart = piece.endsLine;
    }
    return text;
  }
}

export function prefixes(names: readonly string[]): string[] {
  const width = Math.max(0, ...names.map((name) => name.length));
  return names.map((name) => `${name.padEnd(width)}  | `);
}

interface Followed {
  id: string;
  tail: FileTail;
  decoder: CriLogDecoder;
  printer: PrefixedPrinter;
}

export async function showProjectLogs(session: CriSession, containers: readonly ServiceContainer[], options: LogsOptions, out: NodeJS.WritableStream): Promise<void> {
  const names = prefixes(containers.map((container) => container.name));
  const followed: Followed[] = [];
  for (const [index, container] of containers.entries()) {
    const { status } = await session.client.containerStatus(container.id);
    if (!status?.logPath) continue;
    const entry = { id: container.id, tail: new FileTail(status.logPath), decoder: new CriLogDecoder(), printer: new PrefixedPrinter(names[index] ?? '', options.timestamps) };
    const existing = entry.decoder.feed(await entry.tail.readNew());
    out.write(entry.printer.format(options.tail === undefined ? existing : lastLines(existing, options.tail)));
    followed.push(entry);
  }
  if (options.follow) await followAll(session, followed, out, options.stopOnInterrupt ?? true);
}

async function followAll(session: CriSession, followed: Followed[], out: NodeJS.WritableStream, stopOnInterrupt: boolean): Promise<void> {
  let stop = false;
  const onInterrupt = () => {
    stop = true;
  };
  if (stopOnInterrupt) process.once('SIGINT', onInterrupt);
  try {
    let active = followed;
    while (active.length > 0 && !stop) {
      const still: Followed[] = [];
      for (const entry of active) {
        // Asked before reading: what a container wrote before it stopped is in the file by then.
        const running = (await session.client.containerStatus(entry.id).catch(() => ({ status: undefined }))).status?.state === 'CONTAINER_RUNNING';
        out.write(entry.printer.format(entry.decoder.feed(await entry.tail.readNew().catch(() => ''))));
        if (running) still.push(entry);
      }
      active = still;
      if (active.length > 0) await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    process.removeListener('SIGINT', onInterrupt);
  }
}
