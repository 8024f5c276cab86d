// What the clients of berth's own services (berth.v1.Images, berth.v1.Containers) share: the
// connection to the CRI socket and the three call shapes, every failure a CriCallError with the
// gRPC code. Like cri-client.ts it never imports server code.
import { credentials, type Client, type ClientReadableStream, type ClientWritableStream, type ServiceError } from '@grpc/grpc-js';
import { callUnary, CriCallError } from './cri-client.js';

type Callback<T> = (error: ServiceError | null, response?: T) => void;
type ClientConstructor = new (target: string, creds: ReturnType<typeof credentials.createInsecure>, options: object) => Client;

/** Pulls, pushes and copies may take long; the rest answers quickly. */
const longCallMs = 60 * 60_000;

export abstract class BerthServiceClient {
  protected readonly client: Client;

  constructor(
    endpoint: string,
    service: ClientConstructor,
    private readonly serviceName: string,
    protected readonly timeoutMs = 120_000,
  ) {
    const target = endpoint.startsWith('unix:') ? endpoint : `unix://${endpoint}`;
    this.client = new service(target, credentials.createInsecure(), { 'grpc.max_receive_message_length': 16 * 1024 * 1024 });
  }

  close(): void {
    this.client.close();
  }

  protected unary<Res>(method: string, request: object): Promise<Res> {
    return callUnary(this.client, method, request, this.timeoutMs);
  }

  /** The messages of a server stream as they arrive; the call is cancelled when the reader stops. */
  protected async *serverStream<Req, Res>(method: string, request: Req): AsyncIterable<Res> {
    const fn = (this.client as unknown as Record<string, (request: Req, options: { deadline: number }) => ClientReadableStream<Res>>)[method];
    if (!fn) throw new Error(`${this.serviceName} client has no method ${method}`);
    const stream = fn.call(this.client, request, { deadline: Date.now() + longCallMs });
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
  protected clientStream<Req, Res>(method: string, requests: AsyncIterable<Req>): Promise<Res> {
    const fn = (this.client as unknown as Record<string, (options: { deadline: number }, callback: Callback<Res>) => ClientWritableStream<Req>>)[method];
    if (!fn) return Promise.reject(new Error(`${this.serviceName} client has no method ${method}`));
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
