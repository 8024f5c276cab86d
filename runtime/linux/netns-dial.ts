// A TCP connection to a port inside a network namespace (port-forward into a pod). A Node process
// cannot enter another netns itself (setns applies to a whole thread, and Node owns its threads),
// so a short-lived child does: `nsenter --net=<pinned ns>` runs this same Node binary with a
// one-line relay between its stdio and the socket. The pod's host-network case needs no child.
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { Duplex } from 'node:stream';

// Runs in the child, inside the netns: stdio <-> 127.0.0.1:<port>; a failed connect exits 1
// with the reason on stderr.
const relay = [
  "const socket = require('node:net').connect(Number(process.argv[1]), '127.0.0.1');",
  "socket.on('error', (e) => { process.stderr.write(e.message); process.exit(1); });",
  "socket.on('connect', () => { process.stdin.pipe(socket); socket.pipe(process.stdout); });",
  "socket.on('close', () => process.exit(0));",
].join(' ');

export interface NetnsConnection {
  stream: Duplex;
  /** Why the connection could not be made or broke, once it is over ('' when it ended cleanly). */
  failure: Promise<string>;
}

export function dialInNetns(netnsPath: string | undefined, port: number): NetnsConnection {
  if (!netnsPath) {
    const socket = connect(port, '127.0.0.1');
    const failure = new Promise<string>((resolve) => {
      socket.once('error', (error) => resolve(error.message));
      socket.once('close', () => resolve(''));
    });
    return { stream: socket, failure };
  }
  const child = spawn('nsenter', [`--net=${netnsPath}`, '--', process.execPath, '-e', relay, String(port)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    if (stderr.length < 4096) stderr += chunk;
  });
  const stream = Duplex.from({ readable: child.stdout, writable: child.stdin });
  stream.once('close', () => child.kill('SIGTERM'));
  const failure = new Promise<string>((resolve) => {
    child.once('error', (error) => resolve(error.message));
    child.once('exit', (code) => resolve(code === 0 ? '' : stderr.trim() || `relay exited with ${code}`));
  });
  return { stream, failure };
}
