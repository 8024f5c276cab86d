// The client of berth.v1.Containers (api/berth/v1/containers.proto), berth's own container API
// served on the CRI socket: what `berth kill/rename/diff/export/cp` call. It never imports server
// code; failures are CriCallErrors with the gRPC code.
import { loadBerthContainers } from '../../api/berth/berth-containers.js';
import type * as api from '../../api/berth/berth-messages.js';
import { BerthServiceClient } from './berth-service-client.js';

export class BerthContainersClient extends BerthServiceClient {
  constructor(endpoint: string, timeoutMs = 120_000) {
    super(endpoint, loadBerthContainers().grpcType.berth.v1.Containers, 'berth.v1.Containers', timeoutMs);
  }

  kill(container: string, signal: string): Promise<api.KillResponse__Output> {
    return this.unary('Kill', { container, signal });
  }
  rename(container: string, name: string): Promise<api.RenameResponse__Output> {
    return this.unary('Rename', { container, name });
  }
  changes(container: string): Promise<api.ChangesResponse__Output> {
    return this.unary('Changes', { container });
  }
  statPath(container: string, path: string): Promise<api.PathStat__Output> {
    return this.unary('StatPath', { container, path });
  }

  /** The flat tar of the container's root filesystem, as it arrives. */
  async *export(container: string): AsyncIterable<Buffer> {
    for await (const chunk of this.serverStream<api.ExportRequest, api.ArchiveChunk__Output>('Export', { container })) yield chunk.data;
  }

  /** The stat of what is copied, then the tar's bytes. */
  async copyFrom(request: api.CopyFromRequest): Promise<{ stat: api.PathStat__Output; tar: AsyncIterable<Buffer> }> {
    const messages = this.serverStream<api.CopyFromRequest, api.CopyFromResponse__Output>('CopyFrom', request)[Symbol.asyncIterator]();
    const first = await messages.next();
    const stat = first.done ? undefined : first.value.stat;
    if (!stat) throw new Error('CopyFrom: the runtime sent no stat first');
    return {
      stat,
      tar: (async function* () {
        try {
          for (let next = await messages.next(); !next.done; next = await messages.next()) yield next.value.data;
        } finally {
          await messages.return?.();
        }
      })(),
    };
  }

  copyTo(options: api.CopyToOptions, tar: AsyncIterable<Uint8Array>): Promise<api.CopyToResponse__Output> {
    return this.clientStream<api.CopyToRequest, api.CopyToResponse__Output>(
      'CopyTo',
      (async function* () {
        yield { options };
        for await (const data of tar) yield { data: Buffer.from(data) };
      })(),
    );
  }
}
