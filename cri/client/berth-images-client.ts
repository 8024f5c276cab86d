// The client of berth.v1.Images (api/berth/v1/images.proto), berth's own image API served on the
// CRI socket: what `berth tag/rmi/history/save/load/import/push/login/image prune` call. Like
// cri-client.ts it never imports server code; failures are CriCallErrors with the gRPC code.
import { credentials, type Client, type ClientReadableStream, type ClientWritableStream, type ServiceError } from '@grpc/grpc-js';
import { loadBerthImages } from '../api/berth-images.js';
import type * as api from '../api/berth-messages.js';
import { callUnary, CriCallError } from './cri-client.js';

type Callback<T> = (error: ServiceError | null, response?: T) => void;

/** Pulls and pushes may take long; the rest answers quickly. */
const longCallMs = 60 * 60_000;

export class BerthImagesClient {
  private readonly client: Client;

  constructor(
    endpoint: string,
    private readonly timeoutMs = 120_000,
  ) {
    const target = endpoint.startsWith('unix:') ? endpoint : `unix://${endpoint}`;
    this.client = new (loadBerthImages().grpcType.berth.v1.Images)(target, credentials.createInsecure(), {
      'grpc.max_receive_message_length': 16 * 1024 * 1024,
    });
  }

  tag(source: string, target: string): Promise<api.TagResponse__Output> {
    return callUnary(this.client, 'Tag', { source, target }, this.timeoutMs);
  }
  remove(image: string, force: boolean): Promise<api.RemoveResponse__Output> {
    return callUnary(this.client, 'Remove', { image, force }, this.timeoutMs);
  }
  history(image: string): Promise<api.HistoryResponse__Output> {
    return callUnary(this.client, 'History', { image }, this.timeoutMs);
  }
  prune(all: boolean): Promise<api.PruneResponse__Output> {
    return callUnary(this.client, 'Prune', { all }, this.timeoutMs);
  }
  login(server: string, auth: api.RegistryAuth): Promise<api.LoginResponse__Output> {
    return callUnary(this.client, 'Login', { server, auth }, this.timeoutMs);
  }

  /** The archive's bytes as they arrive. */
  async *save(images: readonly string[]): AsyncIterable<Buffer> {
    const stream = this.serverStream<api.SaveRequest, api.Chunk__Output>('Save', { images: [...images] });
    for await (const chunk of this.messages<api.Chunk__Output>('Save', stream)) yield chunk.data;
  }

  /** Every progress message of a push, `onProgress` for each as it arrives. */
  async push(image: string, auth: api.RegistryAuth | null, onProgress: (progress: api.PushProgress__Output) => void): Promise<void> {
    const stream = this.serverStream<api.PushRequest, api.PushProgress__Output>('Push', { image, auth });
    for await (const progress of this.messages<api.PushProgress__Output>('Push', stream)) onProgress(progress);
  }

  load(archive: AsyncIterable<Uint8Array>): Promise<api.LoadResponse__Output> {
    return this.clientStream<api.Chunk, api.LoadResponse__Output>('Load', (async function* () {
      for await (const data of archive) yield { data: Buffer.from(data) };
    })());
  }

  import(options: api.ImportOptions, tarball: AsyncIterable<Uint8Array>): Promise<api.ImportResponse__Output> {
    return this.clientStream<api.ImportRequest, api.ImportResponse__Output>('Import', (async function* () {
      yield { options };
      for await (const data of tarball) yield { data: Buffer.from(data) };
    })());
  }

  close(): void {
    this.client.close();
  }

  private serverStream<Req, Res>(method: string, request: Req): ClientReadableStream<Res> {
    const fn = (this.client as unknown as Record<string, (request: Req, options: { deadline: number }) => ClientReadableStream<Res>>)[method];
    if (!fn) throw new Error(`berth.v1.Images client has no method ${method}`);
    return fn.call(this.client, request, { deadline: Date.now() + longCallMs });
  }

  private async *messages<Res>(method: string, stream: ClientReadableStream<Res>): AsyncIterable<Res> {
    try {
      for await (const message of stream) yield message as Res;
    } catch (error) {
      const failed = error as ServiceError;
      throw new CriCallError(method, failed.code, failed.details || failed.message);
    } finally {
      stream.cancel();
    }
  }

  /** Sends `requests` (waiting while gRPC's buffer is full) and answers the one response. */
  private clientStream<Req, Res>(method: string, requests: AsyncIterable<Req>): Promise<Res> {
    const fn = (this.client as unknown as Record<string, (options: { deadline: number }, callback: Callback<Res>) => ClientWritableStream<Req>>)[method];
    if (!fn) return Promise.reject(new Error(`berth.v1.Images client has no method ${method}`));
    return new Promise((resolve, reject) => {
      const call = fn.call(this.client, { deadline: Date.now() + longCallMs }, (error, response) => {
        if (error) reject(new CriCallError(method, error.code, error.details || error.message));
        else resolve(response as Res);
      });
      void (async () => {
        for await (const request of requests) {
          if (!call.write(request)) await new Promise((drained) => call.once('drain', drained));
        }
        call.end();
      })().catch((error: unknown) => {
        call.cancel();
        reject(error);
      });
    });
  }
}
