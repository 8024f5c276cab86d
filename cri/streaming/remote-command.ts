// The Kubernetes remote-command protocol over SPDY (exec): the client opens one stream per
// channel, named by its `streamtype` header (error, stdin, stdout, stderr, resize); once all the
// request asked for are there, the command runs with them as its stdio, and its outcome goes to
// the error stream: a metav1.Status in v4 and later, a plain message before.
import type { Duplex, Readable, Writable } from 'node:stream';
import type { Logger } from '../../common/logger.js';
import type { SpdyStream } from './spdy/session.js';

/** What a session is wired to: an exec'd process, or a container's own stdio (attach). */
export interface LiveStdio {
  stdin: Writable | null;
  stdout: Readable | null;
  stderr: Readable | null;
  /** The exit code to report once the output is done (0 for an attach that ended). */
  exited: Promise<number>;
  /** Applies a terminal size from the resize channel; absent where there is no terminal to size. */
  resize?: ((width: number, height: number) => Promise<void>) | undefined;
}

/** Pure: the sizes in the resize channel's bytes, one JSON object {"Width","Height"} per event. */
export class ResizeEvents {
  private pending = '';

  push(chunk: Buffer): { width: number; height: number }[] {
    this.pending += chunk.toString('utf8');
    const events: { width: number; height: number }[] = [];
    // Each event is a JSON object; SPDY clients send them back to back, WebSocket one per message.
    for (let end = this.pending.indexOf('}'); end !== -1; end = this.pending.indexOf('}')) {
      const text = this.pending.slice(this.pending.indexOf('{'), end + 1);
      this.pending = this.pending.slice(end + 1);
      try {
        const size = JSON.parse(text) as { Width?: unknown; Height?: unknown };
        if (typeof size.Width === 'number' && typeof size.Height === 'number') events.push({ width: size.Width, height: size.Height });
      } catch {
        // a malformed event is dropped; the next one still counts
      }
    }
    if (this.pending.length > 4096) this.pending = '';
    return events;
  }
}

export const remoteCommandProtocols = ['v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'];

/** Protocols whose error channel carries a metav1.Status (SPDY v4, WebSocket v4 and v5). */
const statusProtocols = new Set(['v4.channel.k8s.io', 'v5.channel.k8s.io']);

/** The transport under a session: SPDY streams or WebSocket channels, named by stream type. */
export interface StreamSet {
  all(): Promise<Map<string, Duplex>>;
}

export interface ExecOptions {
  containerId: string;
  cmd: string[];
  tty: boolean;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
}

const streamsTimeoutMs = 30_000;

/** Pure: the channels a request needs, by protocol (resize exists from v3 on, only with a tty). */
export function expectedStreams(options: ExecOptions, protocol: string): Set<string> {
  const expected = new Set(['error']);
  if (options.stdin) expected.add('stdin');
  if (options.stdout) expected.add('stdout');
  if (options.stderr && !options.tty) expected.add('stderr');
  if (options.tty && protocol !== 'v2.channel.k8s.io' && protocol !== 'channel.k8s.io') expected.add('resize');
  return expected;
}

/** Pure: what goes on the error stream for an exit code, per protocol ('' means nothing). */
export function exitStatusMessage(exitCode: number, protocol: string): string {
  const v4 = statusProtocols.has(protocol);
  if (exitCode === 0) return v4 ? JSON.stringify({ metadata: {}, status: 'Success' }) : '';
  const message = `command terminated with non-zero exit code: exit status ${exitCode}`;
  if (!v4) return message;
  return JSON.stringify({
    metadata: {},
    status: 'Failure',
    message,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
  });
}

/** Pure: a failure before or instead of running (not an exit code), per protocol. */
export function failureMessage(message: string, protocol: string): string {
  return statusProtocols.has(protocol) ? JSON.stringify({ metadata: {}, status: 'Failure', message, reason: 'InternalError' }) : message;
}

export class StreamCollector implements StreamSet {
  private readonly streams = new Map<string, SpdyStream>();
  private resolve: (() => void) | undefined;

  constructor(private readonly expected: Set<string>) {}

  add(stream: SpdyStream): void {
    const type = stream.headers['streamtype'] ?? '';
    if (!this.expected.has(type) || this.streams.has(type)) {
      stream.reset();
      return;
    }
    this.streams.set(type, stream);
    // The client waits for each stream's reply before it opens the next one.
    void stream.reply();
    if (this.streams.size === this.expected.size) this.resolve?.();
  }

  async all(): Promise<Map<string, Duplex>> {
    if (this.streams.size < this.expected.size) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`the client opened ${[...this.streams.keys()].join(', ') || 'no streams'} of ${[...this.expected].join(', ')} within ${streamsTimeoutMs / 1000} s`)),
          streamsTimeoutMs,
        );
        this.resolve = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return this.streams;
  }
}

export async function serveExec(session: { close(error?: Error): void }, collector: StreamSet, protocol: string, start: () => Promise<LiveStdio>, logger: Logger): Promise<void> {
  const streams = await collector.all();
  const error = streams.get('error');
  let exitCode: number;
  try {
    const stdio = await start();
    const stdin = streams.get('stdin');
    if (stdin && stdio.stdin) {
      stdin.pipe(stdio.stdin);
      stdio.stdin.on('error', () => undefined);
    }
    const stdout = streams.get('stdout');
    if (stdout) stdio.stdout?.pipe(stdout);
    else stdio.stdout?.resume();
    const stderr = streams.get('stderr');
    if (stderr) stdio.stderr?.pipe(stderr);
    else if (stdout) stdio.stderr?.pipe(stdout, { end: false });
    else stdio.stderr?.resume();
    const resize = streams.get('resize');
    if (resize && stdio.resize) {
      const sizes = new ResizeEvents();
      const apply = stdio.resize;
      resize.on('data', (chunk: Buffer) => {
        for (const { width, height } of sizes.push(chunk)) apply(width, height).catch((error: unknown) => logger.debug({ err: error }, 'resize failed'));
      });
    } else {
      resize?.resume();
    }
    exitCode = await stdio.exited;
  } catch (failure) {
    const message = failure instanceof Error ? failure.message : String(failure);
    logger.info({ err: failure }, 'exec failed to start');
    error?.end(failureMessage(message, protocol));
    session.close();
    return;
  }
  const status = exitStatusMessage(exitCode, protocol);
  error?.end(status || undefined);
  for (const [type, stream] of streams) if (type !== 'error' && type !== 'stdin' && !stream.writableEnded) stream.end();
  // The client closes the connection once it has read everything; a client that does not is
  // cut off after a grace period.
  setTimeout(() => session.close(), 10_000).unref();
}
