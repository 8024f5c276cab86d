// The client's side of exec and attach over WebSocket (v5.channel.k8s.io, else v4): each binary
// message starts with its channel, 0 stdin, 1 stdout, 2 stderr, 3 error, 4 resize; v5 adds
// [255, 0] to say stdin has ended. The error channel's metav1.Status is the outcome: the
// command's exit code, or why it could not run.
import type { Readable, Writable } from 'node:stream';
import { channelProtocols, channels, closeChannel } from '../../common/websocket/channel-protocol.js';
import { WebSocketSession } from '../../common/websocket/session.js';
import { dialWebSocket } from './websocket-dial.js';

export interface TerminalSize {
  width: number;
  height: number;
}

/** The local end of a session: where output goes, and where input and sizes come from. */
export interface RemoteCommandIo {
  stdin?: Readable | undefined;
  stdout: Writable;
  stderr: Writable;
  /**
   * For a session that only feeds input (an attach whose output is read elsewhere): under v4,
   * which has no way to say stdin ended, close the session when it does, as that closes the
   * container's stdin too.
   */
  inputOnly?: boolean | undefined;
  /** Aborting it leaves the session (the remote command goes on): the call rejects with RemoteCommandDetached. */
  signal?: AbortSignal | undefined;
  /** With a terminal: its size now and a way to hear of changes (returns the unsubscribe). */
  terminal?: { size(): TerminalSize | undefined; onResize(listener: () => void): () => void } | undefined;
}

export class RemoteCommandError extends Error {}

/** The local side left the session on purpose (docker's detach keys); the command was not ended. */
export class RemoteCommandDetached extends Error {
  constructor() {
    super('detached from the session');
  }
}

interface Status {
  status?: string;
  message?: string;
  reason?: string;
  details?: { causes?: { reason?: string; message?: string }[] };
}

/**
 * Pure: the exit code that the error channel's text stands for. Success is 0; a NonZeroExitCode
 * failure carries its code in an ExitCode cause; any other failure is an error with the server's
 * message. v4 and v5 servers always send a status, so none means the session was cut short.
 */
export function exitCodeFromStatus(text: string): number {
  if (text.trim() === '') throw new RemoteCommandError('the stream ended before the server said how the command ended');
  let status: Status;
  try {
    status = JSON.parse(text) as Status;
  } catch {
    throw new RemoteCommandError(text.trim());
  }
  if (status.status === 'Success') return 0;
  if (status.reason === 'NonZeroExitCode') {
    const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
    const code = Number(cause?.message);
    if (Number.isInteger(code)) return code;
  }
  throw new RemoteCommandError(status.message ?? text.trim());
}

/** Pure: the resize channel's message for a size. */
export function resizeMessage(size: TerminalSize): Buffer {
  return Buffer.concat([Buffer.from([channels.resize]), Buffer.from(JSON.stringify({ Width: size.width, Height: size.height }))]);
}

/** Runs the session at `url` (from Exec or Attach) to its end; resolves with the exit code. */
export async function streamRemoteCommand(url: string, io: RemoteCommandIo): Promise<number> {
  const { socket, protocol, head } = await dialWebSocket(url, channelProtocols);
  let errorText = '';
  let detached = false;
  const cleanups: (() => void)[] = [];
  const outcome = new Promise<number>((resolve, reject) => {
    const session = new WebSocketSession(
      socket,
      (message) => {
        const payload = message.subarray(1);
        if (message[0] === channels.stdout) io.stdout.write(payload);
        else if (message[0] === channels.stderr) io.stderr.write(payload);
        else if (message[0] === channels.error) errorText += payload.toString('utf8');
      },
      (error) => {
        for (const cleanup of cleanups) cleanup();
        if (detached) reject(new RemoteCommandDetached());
        else if (error) reject(new RemoteCommandError(`the stream broke: ${error.message}`));
        else {
          try {
            resolve(exitCodeFromStatus(errorText));
          } catch (failure) {
            reject(failure as Error);
          }
        }
      },
      'client',
    );

    const terminal = io.terminal;
    if (terminal) {
      const sendSize = () => {
        const size = terminal.size();
        if (size) session.send(resizeMessage(size));
      };
      sendSize();
      cleanups.push(terminal.onResize(sendSize));
    }
    const stdin = io.stdin;
    if (stdin) {
      const onData = (chunk: Buffer | string) => session.send(Buffer.concat([Buffer.from([channels.stdin]), Buffer.from(chunk)]));
      const onEnd = () => {
        if (protocol === 'v5.channel.k8s.io') session.send(Buffer.from([closeChannel, channels.stdin]));
        else if (io.inputOnly) session.close(1000);
        else io.stderr.write(`berth: the end of input cannot reach the command: this runtime's streaming server speaks ${protocol}, which has no way to say it (v5.channel.k8s.io has)\n`);
      };
      stdin.on('data', onData);
      stdin.once('end', onEnd);
      cleanups.push(() => {
        stdin.off('data', onData);
        stdin.off('end', onEnd);
        stdin.pause();
      });
    }
    const signal = io.signal;
    if (signal) {
      const leave = () => {
        detached = true;
        session.close(1000);
      };
      if (signal.aborted) leave();
      signal.addEventListener('abort', leave, { once: true });
      cleanups.push(() => signal.removeEventListener('abort', leave));
    }
    session.feed(head);
  });
  return outcome;
}
