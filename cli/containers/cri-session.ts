// The CRI connection of the docker-style commands, and the container list they share: every
// container of the runtime, named as `berth ps` shows them.
import { status as GrpcStatus } from '@grpc/grpc-js';
import { UnavailableError } from '../../common/errors.js';
import { CriCallError, CriClient } from '../../cri/client/cri-client.js';
import type { Container__Output } from '../../api/cri/messages.js';
import { displayName } from './container-table.js';
import { findContainer, type NamedContainer } from './find-container.js';

export const defaultEndpoint = 'unix:///run/berth/berth.sock';

export interface ListedContainer extends NamedContainer {
  container: Container__Output;
}

export class CriSession {
  readonly client: CriClient;

  constructor(readonly endpoint: string) {
    this.client = new CriClient({ endpoint });
  }

  async containers(): Promise<ListedContainer[]> {
    const [{ containers }, { items: pods }] = await Promise.all([this.client.listContainers(), this.client.listPodSandbox()]);
    const podNames = new Map(pods.map((pod) => [pod.id, pod.metadata?.name]));
    return containers.map((container) => ({ id: container.id, name: displayName(container, podNames.get(container.podSandboxId)), container }));
  }

  async find(reference: string): Promise<ListedContainer> {
    return findContainer(await this.containers(), reference);
  }

  close(): void {
    this.client.close();
  }
}

/** Runs `body` with a session, saying plainly when no runtime answers on the endpoint. */
export async function withSession<T>(endpoint: string, body: (session: CriSession) => Promise<T>): Promise<T> {
  const session = new CriSession(endpoint);
  try {
    return await body(session);
  } catch (error) {
    if (error instanceof CriCallError && error.grpcCode === GrpcStatus.UNAVAILABLE) {
      throw new UnavailableError(`no CRI runtime answers on ${endpoint} (is \`berth runtime\` or \`berth node\` running? --runtime-endpoint names another): ${error.message}`);
    }
    throw error;
  } finally {
    session.close();
  }
}
