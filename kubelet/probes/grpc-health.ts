// The gRPC probe: grpc.health.v1.Health/Check on the pod IP and port, without TLS, as the
// upstream kubelet makes it; SERVING passes, any other answer or error fails. The two messages
// are encoded here with protobufjs's wire writer (one string field out, one enum field back)
// rather than loading a proto file for them.
import { Client, credentials, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import type { ProbeOutcome } from './probe-check.js';

const servingStatuses = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];

/** Pure: HealthCheckRequest { string service = 1; } */
export function encodeHealthRequest(service: string): Buffer {
  const writer = protobuf.Writer.create();
  if (service !== '') writer.uint32((1 << 3) | 2).string(service);
  return Buffer.from(writer.finish());
}

/** Pure: the status name in a HealthCheckResponse { ServingStatus status = 1; } */
export function decodeHealthResponse(bytes: Buffer): string {
  const reader = protobuf.Reader.create(bytes);
  let status = 0;
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag >>> 3 === 1 && (tag & 7) === 0) status = reader.int32();
    else reader.skipType(tag & 7);
  }
  return servingStatuses[status] ?? `UNKNOWN(${status})`;
}

export function grpcHealthCheck(host: string, port: number, service: string, timeoutMs: number): Promise<ProbeOutcome> {
  const address = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const client = new Client(address, credentials.createInsecure());
  return new Promise<ProbeOutcome>((resolve) => {
    client.makeUnaryRequest(
      '/grpc.health.v1.Health/Check',
      (request: Buffer) => request,
      (response: Buffer) => decodeHealthResponse(response),
      encodeHealthRequest(service),
      { deadline: Date.now() + timeoutMs },
      (error: ServiceError | null, servingStatus?: string) => {
        if (error) {
          const why = error.code === GrpcStatus.DEADLINE_EXCEEDED ? `timeout: health rpc did not complete within ${timeoutMs / 1000}s` : `error: ${error.details || error.message}`;
          resolve({ ok: false, message: `${address}: ${why}` });
        } else if (servingStatus === 'SERVING') {
          resolve({ ok: true });
        } else {
          resolve({ ok: false, message: `service unhealthy (responded with "${servingStatus ?? 'nothing'}")` });
        }
      },
    );
  }).finally(() => client.close());
}
