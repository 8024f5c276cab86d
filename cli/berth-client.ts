// The CLI's connection to one of berth's own services on the runtime's socket (berth.v1.Images,
// berth.v1.Volumes): the client is closed after the command, and the two ways it fails before
// reaching berth are said plainly: nothing answers, or the runtime is not berth.
import { status as GrpcStatus } from '@grpc/grpc-js';
import { UnavailableError } from '../common/errors.js';
import { CriCallError } from '../cri/client/cri-client.js';

export async function withBerthClient<C extends { close(): void }, T>(endpoint: string, service: string, client: C, body: (client: C) => Promise<T>): Promise<T> {
  try {
    return await body(client);
  } catch (error) {
    if (error instanceof CriCallError && error.grpcCode === GrpcStatus.UNAVAILABLE && /No connection|connect/i.test(error.message)) {
      throw new UnavailableError(`no berth runtime answers on ${endpoint} (is \`berth runtime\` or \`berth node\` running?): ${error.message}`);
    }
    if (error instanceof CriCallError && error.grpcCode === GrpcStatus.UNIMPLEMENTED) {
      throw new UnavailableError(`the runtime on ${endpoint} does not serve ${service} (is it berth?): ${error.message}`);
    }
    throw error;
  } finally {
    client.close();
  }
}
