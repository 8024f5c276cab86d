// The CRI gRPC server on a unix socket. Every method of the pinned proto is answered: the ones
// berth implements by their handler, the rest with Unimplemented and a message naming the RPC.
// berth's own APIs (berth.v1.Images, Containers, Volumes and Networks, api/berth/v1/) are served on the same socket.
import { Server, ServerCredentials, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { chmod, mkdir, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { FailedPreconditionError, UnimplementedError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { preEncodedBytes } from './encoded-list.js';
import { loadCri } from '../../api/cri/load.js';
import { loadBerthImages } from '../../api/berth/berth-images.js';
import { loadBerthContainers } from '../../api/berth/berth-containers.js';
import { loadBerthVolumes } from '../../api/berth/berth-volumes.js';
import { loadBerthNetworks } from '../../api/berth/berth-networks.js';
import { instrumentClientStream, instrumentServerStream, instrumentUnary, type CallObserver, type ClientStreamHandler, type StreamHandler, type UnaryHandler } from './instrument.js';

// Handlers are stored untyped here; each per-RPC file is typed against the generated messages.
// biome-ignore lint/suspicious/noExplicitAny: a table of handlers of every request and response type; each is typed where written
export type AnyUnary = UnaryHandler<any, any>;
// biome-ignore lint/suspicious/noExplicitAny: as above
export type AnyStream = StreamHandler<any, any>;
// biome-ignore lint/suspicious/noExplicitAny: as above
export type AnyClientStream = ClientStreamHandler<any, any>;
type AnyHandler = AnyUnary | AnyStream | AnyClientStream;

export interface CriHandlers {
  runtime: Record<string, AnyHandler>;
  image: Record<string, AnyHandler>;
  /** berth.v1.Images; without it (some tests) every method answers Unimplemented. */
  berthImages?: Record<string, AnyHandler>;
  /** berth.v1.Containers; the same. */
  berthContainers?: Record<string, AnyHandler>;
  /** berth.v1.Volumes; the same. */
  berthVolumes?: Record<string, AnyHandler>;
  /** berth.v1.Networks; the same. */
  berthNetworks?: Record<string, AnyHandler>;
}

export interface CriServer {
  socketPath: string;
  close(): Promise<void>;
}

function implement(service: ServiceDefinition, handlers: Record<string, AnyHandler>, options: { logger: Logger; observe?: CallObserver }): UntypedServiceImplementation {
  const implementation: UntypedServiceImplementation = {};
  for (const [method, definition] of Object.entries(service)) {
    const handler =
      handlers[method] ??
      (async () => {
        throw new UnimplementedError(`berth does not implement ${method} yet`);
      });
    implementation[method] = definition.requestStream
      ? instrumentClientStream(method, handler as AnyClientStream, options)
      : definition.responseStream
        ? instrumentServerStream(method, handler as AnyStream, options)
        : instrumentUnary(method, handler as AnyUnary, options);
  }
  return implementation;
}

/** Removes a socket file left by a previous run; refuses to delete anything that is not a socket. */
async function clearStaleSocket(socketPath: string): Promise<void> {
  const existing = await stat(socketPath).catch(() => undefined);
  if (!existing) return;
  if (!existing.isSocket()) {
    throw new FailedPreconditionError(`${socketPath} exists and is not a socket; choose another --socket or remove it`);
  }
  await rm(socketPath);
}

/** `service` with each answer a handler encoded already (encoded-list.ts) sent as those bytes. */
function sendingPreEncoded(service: ServiceDefinition): ServiceDefinition {
  const methods = Object.entries(service).map(([name, method]) => [name, { ...method, responseSerialize: (response: unknown) => preEncodedBytes(response) ?? method.responseSerialize(response) }]);
  return Object.fromEntries(methods) as ServiceDefinition;
}

export async function serveCri(options: { socketPath: string; handlers: CriHandlers; logger: Logger; observe?: CallObserver }): Promise<CriServer> {
  const runtime = sendingPreEncoded(loadCri().runtime);
  const { image } = loadCri();
  const server = new Server({ 'grpc.max_receive_message_length': 16 * 1024 * 1024, 'grpc.max_send_message_length': 64 * 1024 * 1024 });
  const closing = new AbortController();
  const common = { logger: options.logger, closing: closing.signal, ...(options.observe ? { observe: options.observe } : {}) };
  server.addService(runtime, implement(runtime, options.handlers.runtime, common));
  server.addService(image, implement(image, options.handlers.image, common));
  const berthImages = loadBerthImages().service;
  server.addService(berthImages, implement(berthImages, options.handlers.berthImages ?? {}, common));
  const berthContainers = loadBerthContainers().service;
  server.addService(berthContainers, implement(berthContainers, options.handlers.berthContainers ?? {}, common));
  const berthVolumes = loadBerthVolumes().service;
  server.addService(berthVolumes, implement(berthVolumes, options.handlers.berthVolumes ?? {}, common));
  const berthNetworks = loadBerthNetworks().service;
  server.addService(berthNetworks, implement(berthNetworks, options.handlers.berthNetworks ?? {}, common));

  await mkdir(dirname(options.socketPath), { recursive: true, mode: 0o711 });
  await clearStaleSocket(options.socketPath);
  await new Promise<void>((resolve, reject) => server.bindAsync(`unix://${options.socketPath}`, ServerCredentials.createInsecure(), (error) => (error ? reject(error) : resolve())));
  // Only root (and the socket's group) may drive the runtime: the socket is root-equivalent.
  await chmod(options.socketPath, 0o660);
  options.logger.info({ socket: options.socketPath }, 'CRI server listening');

  return {
    socketPath: options.socketPath,
    close: () =>
      new Promise<void>((resolve) => {
        closing.abort();
        server.tryShutdown(() => {
          void rm(options.socketPath, { force: true }).then(() => resolve());
        });
        // Streams end on `closing`; a unary call still running (a pull) is cut after a grace.
        setTimeout(() => server.forceShutdown(), 5_000).unref();
      }),
  };
}
