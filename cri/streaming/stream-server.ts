// berth's streaming server: Exec, Attach and PortForward RPCs answer with a URL here carrying a
// single-use token; the client (crictl, critest, the kubelet proxying kubectl) upgrades that
// HTTP request to SPDY/3.1 and speaks the remote-command or port-forward protocol on it. Or it
// upgrades to WebSocket, as `crictl --transport websocket` and newer clients do: exec and attach
// with the channel protocols (v5.channel.k8s.io, v4.channel.k8s.io), port-forward as SPDY
// tunneled through the WebSocket (SPDY/3.1+portforward.k8s.io).
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { finished } from 'node:stream/promises';
import type { AddressInfo, Socket } from 'node:net';
import { CancelledError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { Runtime } from '../../runtime/runtime.js';
import { PortForwardHandler, portForwardProtocols } from './port-forward.js';
import { StreamCollector, expectedStreams, remoteCommandProtocols, serveExec, type ExecOptions, type LiveStdio } from './remote-command.js';
import { SpdySession, type ByteTransport } from './spdy/session.js';
import { TokenCache } from './tokens.js';
import { channelProtocols } from '../../common/websocket/channel-protocol.js';
import { ChannelDemux } from './websocket/channels.js';
import { acceptKey } from '../../common/websocket/frames.js';
import { refuseUpgrade } from '../../common/refuse-upgrade.js';
import { WebSocketSession } from '../../common/websocket/session.js';
import { WebSocketTunnel, tunneledPortForwardProtocol } from './websocket/tunnel.js';

export interface StreamServerOptions {
  /** Address to listen on; loopback by default, as the kubelet reaches it on the same node. */
  address: string;
  /** 0 picks a free port. */
  port: number;
}

export type AttachOptions = Omit<ExecOptions, 'cmd'>;

type PendingRequest = { kind: 'exec'; options: ExecOptions } | { kind: 'attach'; options: AttachOptions } | { kind: 'portforward'; podSandboxId: string; ports: number[] };

type RemoteCommandRequest = Extract<PendingRequest, { kind: 'exec' | 'attach' }>;

/**
 * What exec/attach over a WebSocket accepts: the v5/v4 channel protocols, and the unversioned
 * channel.k8s.io that clients before v4 offer (the conformance spec "should support remote command
 * execution over websockets" still does): the same binary framing, with a plain error message
 * and nothing on success on the error channel (exitStatusMessage/failureMessage in remote-command.ts).
 */
const webSocketRemoteCommandProtocols = [...channelProtocols, 'channel.k8s.io'];

/** Pure: the first protocol the client offers that the server speaks, in the client's order. */
export function negotiateProtocol(offered: string | string[] | undefined, supported: readonly string[]): string | undefined {
  const list = (Array.isArray(offered) ? offered : [offered ?? ''])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
  return list.find((p) => supported.includes(p));
}

function refuse(socket: Socket, status: number, message: string, headers: Record<string, string> = {}): void {
  refuseUpgrade(socket, status, message, headers);
}

export class StreamServer {
  private readonly tokens = new TokenCache<PendingRequest>();
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly baseUrl: string,
    private readonly runtime: Runtime,
    private readonly logger: Logger,
  ) {}

  static async start(options: StreamServerOptions, runtime: Runtime, logger: Logger): Promise<StreamServer> {
    const server = createServer((_request, response) => {
      response.writeHead(400, { 'content-type': 'text/plain' });
      response.end('berth streaming: this URL must be opened with an HTTP upgrade to SPDY/3.1 (crictl exec/port-forward do that)\n');
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.address, () => resolve());
    });
    const address = server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    const streaming = new StreamServer(server, `http://${host}:${address.port}`, runtime, logger.child({ component: 'streaming' }));
    server.on('upgrade', (request: IncomingMessage, socket: Socket, head: Buffer) => streaming.upgrade(request, socket, head));
    server.on('connection', (socket: Socket) => {
      streaming.sockets.add(socket);
      socket.once('close', () => streaming.sockets.delete(socket));
    });
    logger.info({ url: streaming.baseUrl }, 'streaming server listening');
    return streaming;
  }

  execUrl(options: ExecOptions): string {
    return `${this.baseUrl}/exec/${this.tokens.issue({ kind: 'exec', options })}`;
  }

  attachUrl(options: AttachOptions): string {
    return `${this.baseUrl}/attach/${this.tokens.issue({ kind: 'attach', options })}`;
  }

  portForwardUrl(podSandboxId: string, ports: number[]): string {
    return `${this.baseUrl}/portforward/${this.tokens.issue({ kind: 'portforward', podSandboxId, ports })}`;
  }

  private upgrade(request: IncomingMessage, socket: Socket, head: Buffer): void {
    const [, kind, token = ''] = /^\/(exec|attach|portforward)\/([A-Za-z0-9_-]+)$/.exec(new URL(request.url ?? '/', 'http://x').pathname) ?? [];
    const upgradeTo = String(request.headers.upgrade ?? '').toLowerCase();
    if (upgradeTo !== 'spdy/3.1' && upgradeTo !== 'websocket') {
      refuse(socket, 400, `cannot upgrade to ${JSON.stringify(request.headers.upgrade ?? '')}: berth speaks SPDY/3.1 and WebSocket\n`);
      return;
    }
    const pending = this.tokens.redeem(token);
    if (!kind || !pending || pending.kind !== kind) {
      refuse(socket, 404, 'unknown or expired streaming token: ask the runtime for a new URL\n');
      return;
    }
    if (upgradeTo === 'websocket') {
      if (pending.kind === 'portforward') this.upgradeTunnel(request, socket, head, pending);
      else this.upgradeWebSocket(request, socket, head, pending);
      return;
    }
    const supported = pending.kind === 'portforward' ? portForwardProtocols : remoteCommandProtocols;
    const protocol = negotiateProtocol(request.headers['x-stream-protocol-version'], supported);
    if (!protocol) {
      refuse(socket, 403, `none of the offered stream protocols is supported; berth speaks ${supported.join(', ')}\n`, {
        'X-Accepted-Stream-Protocol-Versions': supported.join(', '),
      });
      return;
    }
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${protocol}\r\n\r\n`);
    if (pending.kind === 'portforward') this.servePortForwardSession(socket, head, pending.podSandboxId, pending.ports);
    else this.serveSpdyCommand(socket, head, pending, protocol);
  }

  /**
   * What an exec or attach runs once its streams are there, and what ends it early when the client
   * goes away (the session is the call; its end is the call's cancellation): the command is
   * killed for exec, as containerd kills an exec whose stream context ends; attach detaches, and
   * the container runs on.
   */
  private remoteCommand(pending: RemoteCommandRequest): { options: ExecOptions; start: () => Promise<LiveStdio>; stop: () => void } {
    if (pending.kind === 'exec') {
      const session = new AbortController();
      return {
        options: pending.options,
        start: () => this.startExec(pending.options, session.signal),
        stop: () => session.abort(new CancelledError(`the client of the exec in container ${pending.options.containerId} went away`)),
      };
    }
    let detach: () => void = () => undefined;
    const start = async (): Promise<LiveStdio> => {
      const attached = await this.startAttach(pending.options);
      detach = attached.detach;
      return attached.stdio;
    };
    return { options: { ...pending.options, cmd: [] }, start, stop: () => detach() };
  }

  private async startExec(options: ExecOptions, signal: AbortSignal): Promise<LiveStdio> {
    const exec = await this.runtime.containers.execStream(options.containerId, options.cmd, { tty: options.tty, stdin: options.stdin, signal });
    return { stdin: exec.stdin, stdout: exec.stdout, stderr: exec.stderr, exited: exec.exited, resize: exec.resize };
  }

  /** Attach: the container's own stdio through conmon; the client going away detaches, nothing more. */
  private async startAttach(options: AttachOptions): Promise<{ stdio: LiveStdio; detach: () => void }> {
    const attached = await this.runtime.containers.attach(options.containerId, { stdin: options.stdin, tty: options.tty });
    // Reported once conmon ended the connection and every byte it sent has been passed on.
    const exited = attached.ended.then(async () => {
      await Promise.all([finished(attached.stdout), finished(attached.stderr)]).catch(() => undefined);
      return 0;
    });
    return { stdio: { stdin: attached.stdin ?? null, stdout: attached.stdout, stderr: attached.stderr, exited, resize: attached.resize }, detach: attached.close };
  }

  /** The WebSocket handshake (RFC 6455): the protocol agreed, or undefined once refused. */
  private acceptWebSocket(request: IncomingMessage, socket: Socket, supported: readonly string[]): string | undefined {
    const key = String(request.headers['sec-websocket-key'] ?? '');
    if (!/^[A-Za-z0-9+/]{22}==$/.test(key) || request.headers['sec-websocket-version'] !== '13') {
      refuse(socket, 400, 'a WebSocket upgrade needs Sec-WebSocket-Version 13 and a Sec-WebSocket-Key\n');
      return undefined;
    }
    const protocol = negotiateProtocol(request.headers['sec-websocket-protocol'], supported);
    if (!protocol) {
      refuse(socket, 403, `none of the offered WebSocket protocols is supported; berth speaks ${supported.join(', ')}\n`);
      return undefined;
    }
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: ${acceptKey(key)}\r\nSec-WebSocket-Protocol: ${protocol}\r\n\r\n`);
    return protocol;
  }

  /** Port-forward tunneled through a WebSocket: the SPDY session runs on the tunnel's bytes. */
  private upgradeTunnel(request: IncomingMessage, socket: Socket, head: Buffer, pending: Extract<PendingRequest, { kind: 'portforward' }>): void {
    if (!this.acceptWebSocket(request, socket, [tunneledPortForwardProtocol])) return;
    const tunnel = new WebSocketTunnel();
    const session = new WebSocketSession(
      socket,
      (message) => tunnel.receive(message),
      (error) => tunnel.ended(error),
    );
    tunnel.attach(session);
    this.servePortForwardSession(tunnel, Buffer.alloc(0), pending.podSandboxId, pending.ports);
    session.feed(head);
  }

  /** Exec or attach over a WebSocket with a channel protocol. */
  private upgradeWebSocket(request: IncomingMessage, socket: Socket, head: Buffer, pending: RemoteCommandRequest): void {
    const protocol = this.acceptWebSocket(request, socket, webSocketRemoteCommandProtocols);
    if (!protocol) return;
    const { options, start, stop } = this.remoteCommand(pending);
    const log = this.logger.child({ containerId: options.containerId, transport: 'websocket' });
    let demux: ChannelDemux | undefined;
    const session = new WebSocketSession(
      socket,
      (message) => demux?.receive(message),
      (error) => {
        demux?.end();
        stop();
        if (error) log.debug({ err: error }, `${pending.kind} WebSocket ended with an error`);
      },
    );
    demux = new ChannelDemux(session, expectedStreams(options, protocol), protocol);
    const channels = demux.streams;
    session.feed(head);
    const closer = { close: (error?: Error) => session.close(error ? 1011 : 1000, error) };
    serveExec(closer, { all: async () => channels }, protocol, start, log).catch((error: unknown) => {
      log.info({ err: error }, `${pending.kind} session failed`);
      session.close(1011, error as Error);
    });
  }

  /** Exec or attach over SPDY/3.1. */
  private serveSpdyCommand(socket: Socket, head: Buffer, pending: RemoteCommandRequest, protocol: string): void {
    const { options, start, stop } = this.remoteCommand(pending);
    const log = this.logger.child({ containerId: options.containerId });
    const collector = new StreamCollector(expectedStreams(options, protocol));
    const session = new SpdySession(
      socket,
      (stream) => collector.add(stream),
      (error) => {
        stop();
        if (error) log.debug({ err: error }, `${pending.kind} connection ended with an error`);
      },
    );
    session.feed(head);
    serveExec(session, collector, protocol, start, log).catch((error: unknown) => {
      log.info({ err: error }, `${pending.kind} session failed`);
      session.close(error as Error);
    });
  }

  private servePortForwardSession(socket: ByteTransport, head: Buffer, podSandboxId: string, ports: number[]): void {
    const log = this.logger.child({ podSandboxId });
    const handler = new PortForwardHandler(new Set(ports), (port) => this.runtime.portForward(podSandboxId, port), log);
    const session = new SpdySession(
      socket,
      (stream) => handler.add(stream),
      (error) => {
        // The client went away: the connections into the pod (and their relay processes) go too.
        handler.close();
        if (error) log.debug({ err: error }, 'port-forward connection ended with an error');
      },
    );
    session.feed(head);
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
