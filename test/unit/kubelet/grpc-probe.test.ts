// The gRPC probe against a real gRPC server (grpc-js) serving grpc.health.v1.Health on loopback:
// the wire format, the statuses, a missing server and a server too slow for the timeout.
import { Server, ServerCredentials, status as GrpcStatus, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkProbe } from '../../../kubelet/probes/probe-check.js';
import { decodeHealthResponse, encodeHealthRequest } from '../../../kubelet/probes/grpc-health.js';

const statuses: Record<string, number> = { '': 1, web: 1, broken: 2, slow: 1 };
let server: Server;
let port = 0;

function decodeService(bytes: Buffer): string {
  const reader = protobuf.Reader.create(bytes);
  let service = '';
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag >>> 3 === 1) service = reader.string();
    else reader.skipType(tag & 7);
  }
  return service;
}

beforeAll(async () => {
  server = new Server();
  server.addService(
    {
      Check: {
        path: '/grpc.health.v1.Health/Check',
        requestStream: false,
        responseStream: false,
        requestSerialize: (value: Buffer) => value,
        // An object, not the bare string: grpc-js takes a falsy request for no request at all.
        requestDeserialize: (bytes: Buffer) => ({ service: decodeService(bytes) }),
        responseSerialize: (status: number) => Buffer.from(protobuf.Writer.create().uint32(8).int32(status).finish()),
        responseDeserialize: (bytes: Buffer) => bytes,
      },
    },
    {
      Check: (call: ServerUnaryCall<{ service: string }, number>, callback: sendUnaryData<number>) => {
        const { service } = call.request;
        const status = statuses[service];
        if (status === undefined) return callback({ code: GrpcStatus.NOT_FOUND, details: `unknown service ${service}` });
        if (service === 'slow') return void setTimeout(() => callback(null, status), 2_000);
        callback(null, status);
      },
    },
  );
  port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))));
});

afterAll(() => server.forceShutdown());

const target = { containerId: 'c', container: { name: 'app' }, podIp: '127.0.0.1' };
const noExec = { execSync: async () => ({ exitCode: 0, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) }) };
const grpcProbe = (service?: string, timeoutSeconds = 1) => ({ grpc: { port, ...(service !== undefined ? { service } : {}) }, timeoutSeconds });

describe('gRPC probes', () => {
  it('encodes the request and reads the status as grpc.health.v1 defines them', () => {
    expect(encodeHealthRequest('')).toEqual(Buffer.alloc(0));
    expect(encodeHealthRequest('web')).toEqual(Buffer.from([0x0a, 3, ...Buffer.from('web')]));
    expect(decodeHealthResponse(Buffer.from([0x08, 2]))).toBe('NOT_SERVING');
    expect(decodeHealthResponse(Buffer.alloc(0))).toBe('UNKNOWN');
  });

  it('passes on SERVING, for the server as a whole and for a named service', async () => {
    expect(await checkProbe(grpcProbe(), target, noExec)).toEqual({ ok: true });
    expect(await checkProbe(grpcProbe('web'), target, noExec)).toEqual({ ok: true });
  });

  it('fails on NOT_SERVING, an unknown service, no server, and a server slower than the timeout', async () => {
    expect(await checkProbe(grpcProbe('broken'), target, noExec)).toEqual({ ok: false, message: 'service unhealthy (responded with "NOT_SERVING")' });
    expect(await checkProbe(grpcProbe('nope'), target, noExec)).toMatchObject({ ok: false, message: expect.stringContaining('unknown service nope') });
    expect(await checkProbe({ grpc: { port: 1 }, timeoutSeconds: 1 }, target, noExec)).toMatchObject({ ok: false, message: expect.stringContaining('127.0.0.1:1') });
    expect(await checkProbe(grpcProbe('slow', 1), target, noExec)).toMatchObject({ ok: false, message: expect.stringContaining('did not complete within 1s') });
  });
});
