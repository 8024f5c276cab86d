// The docker commands the CRI does not cover (kill -s, rename, diff, export, cp) are clients of
// berth.v1.Containers on the same socket. They find containers as every other command does
// (CRI list: id, name, id prefix) and send the full id.
import { status as GrpcStatus } from '@grpc/grpc-js';
import { UnavailableError } from '../../common/errors.js';
import { BerthContainersClient } from '../../cri/client/berth-containers-client.js';
import { CriCallError } from '../../cri/client/cri-client.js';
import { withSession, type CriSession } from './cri-session.js';

export interface ContainersApi {
  session: CriSession;
  client: BerthContainersClient;
}

export async function withContainersApi<T>(endpoint: string, body: (api: ContainersApi) => Promise<T>): Promise<T> {
  return withSession(endpoint, async (session) => {
    const client = new BerthContainersClient(endpoint);
    try {
      return await body({ session, client });
    } catch (error) {
      if (error instanceof CriCallError && error.grpcCode === GrpcStatus.UNIMPLEMENTED) {
        throw new UnavailableError(`the runtime on ${endpoint} does not serve berth.v1.Containers (is it berth?): ${error.message}`);
      }
      throw error;
    } finally {
      client.close();
    }
  });
}
