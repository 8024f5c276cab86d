// Attach through conmon's attach socket: <socketDir>/<id>/attach, a SOCK_SEQPACKET socket
// (Node's net module cannot open one; node-unix-socket's native binding can). Each message from
// conmon is one packet whose first byte names the stream (2 stdout, 3 stderr) and whose rest is
// the data; what the client writes goes to the container's stdin as is, and half-closing the
// socket closes that stdin (conmon runs without --leave-stdin-open). conmon ends the connection
// when the container exits.
//
// The path is reached through /proc/self/fd of an O_PATH descriptor, as podman does: a socket
// path longer than sun_path (108 bytes) cannot be connected to by name.
import { constants, closeSync, openSync } from 'node:fs';
import { PassThrough, Writable } from 'node:stream';
import { SeqpacketSocket } from 'node-unix-socket';
import { FailedPreconditionError } from '../../common/errors.js';

const stdoutPipe = 2;
const stderrPipe = 3;
// O_PATH is not in node:fs constants on every build; its Linux value.
const oPath = (constants as Record<string, number>)['O_PATH'] ?? 0o10000000;

export interface AttachSession {
  /** The container's stdin; undefined when not asked for. Ending it closes the container's stdin. */
  stdin: Writable | undefined;
  stdout: PassThrough;
  stderr: PassThrough;
  /** Resolves when conmon ends the connection (the container exited) or close() was called. */
  ended: Promise<void>;
  close(): void;
  /** Resizes the container's terminal; absent for a container without one. */
  resize?: ((width: number, height: number) => Promise<void>) | undefined;
}

/** Pure: which output stream a packet from conmon belongs to, and its data. */
export function demuxPacket(packet: Buffer): { stream: 'stdout' | 'stderr'; data: Buffer } | undefined {
  const pipe = packet[0];
  if (pipe === stdoutPipe) return { stream: 'stdout', data: packet.subarray(1) };
  if (pipe === stderrPipe) return { stream: 'stderr', data: packet.subarray(1) };
  return undefined;
}

function connect(path: string): Promise<SeqpacketSocket> {
  let fd: number;
  try {
    fd = openSync(path, oPath);
  } catch (error) {
    throw new FailedPreconditionError(`cannot attach: conmon's attach socket ${path} is not there (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return new Promise((resolve, reject) => {
    const socket = new SeqpacketSocket();
    const fail = (error: Error): void => {
      closeSync(fd);
      reject(new FailedPreconditionError(`cannot attach through ${path}: ${error.message}`));
    };
    socket.once('error', fail);
    try {
      socket.connect(`/proc/self/fd/${fd}`, () => {
        closeSync(fd);
        socket.off('error', fail);
        resolve(socket);
      });
    } catch (error) {
      fail(error as Error);
    }
  });
}

/**
 * `passStdinEnd` false keeps the socket's write side open when the client's stdin ends: conmon
 * answers that end by closing the pty master, which with a terminal is the output too, and a
 * terminal has no end of input anyway (the user's ^D is a byte like any other).
 */
export async function attachToSocket(path: string, options: { stdin: boolean; passStdinEnd?: boolean }): Promise<AttachSession> {
  const socket = await connect(path);
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const ended = new Promise<void>((resolve) => {
    const finish = (): void => {
      stdout.end();
      stderr.end();
      resolve();
    };
    // conmon closing its side ends the session: nothing written after that reaches anyone, and a
    // socket left half-open would keep its descriptor.
    socket.once('end', () => {
      finish();
      socket.destroy();
    });
    socket.once('close', finish);
    socket.once('error', finish);
  });
  socket.on('data', (packet: Buffer) => {
    const message = demuxPacket(packet);
    if (message) (message.stream === 'stdout' ? stdout : stderr).write(message.data);
  });
  const stdin = options.stdin
    ? new Writable({
        write(chunk: Buffer, _encoding, callback) {
          socket.write(chunk, 0, chunk.length, () => callback());
        },
        final(callback) {
          if (options.passStdinEnd === false) callback();
          else socket.end(() => callback());
        },
      })
    : undefined;
  return { stdin, stdout, stderr, ended, close: () => socket.destroy() };
}
