// The client of berth.v1.Images (api/berth/v1/images.proto), berth's own image API served on the
// CRI socket: what `berth tag/rmi/history/save/load/import/push/login/image prune` call. Like
// cri-client.ts it never imports server code; failures are CriCallErrors with the gRPC code.
import { loadBerthImages } from '../../api/berth/berth-images.js';
import type * as api from '../../api/berth/berth-messages.js';
import { BerthServiceClient } from './berth-service-client.js';

export class BerthImagesClient extends BerthServiceClient {
  constructor(endpoint: string, timeoutMs = 120_000) {
    super(endpoint, loadBerthImages().grpcType.berth.v1.Images, 'berth.v1.Images', timeoutMs);
  }

  commit(request: api.CommitRequest): Promise<api.CommitResponse__Output> {
    return this.unary('Commit', request);
  }
  tag(source: string, target: string): Promise<api.TagResponse__Output> {
    return this.unary('Tag', { source, target });
  }
  remove(image: string, force: boolean): Promise<api.RemoveResponse__Output> {
    return this.unary('Remove', { image, force });
  }
  history(image: string): Promise<api.HistoryResponse__Output> {
    return this.unary('History', { image });
  }
  prune(all: boolean): Promise<api.PruneResponse__Output> {
    return this.unary('Prune', { all });
  }
  login(server: string, auth: api.RegistryAuth): Promise<api.LoginResponse__Output> {
    return this.unary('Login', { server, auth });
  }

  /** The archive's bytes as they arrive. */
  async *save(images: readonly string[]): AsyncIterable<Buffer> {
    for await (const chunk of this.serverStream<api.SaveRequest, api.Chunk__Output>('Save', { images: [...images] })) yield chunk.data;
  }

  /** Every progress message of a push, `onProgress` for each as it arrives. */
  async push(image: string, auth: api.RegistryAuth | null, onProgress: (progress: api.PushProgress__Output) => void): Promise<void> {
    for await (const progress of this.serverStream<api.PushRequest, api.PushProgress__Output>('Push', { image, auth })) onProgress(progress);
  }

  load(archive: AsyncIterable<Uint8Array>): Promise<api.LoadResponse__Output> {
    return this.clientStream<api.Chunk, api.LoadResponse__Output>(
      'Load',
      (async function* () {
        for await (const data of archive) yield { data: Buffer.from(data) };
      })(),
    );
  }

  import(options: api.ImportOptions, tarball: AsyncIterable<Uint8Array>): Promise<api.ImportResponse__Output> {
    return this.clientStream<api.ImportRequest, api.ImportResponse__Output>(
      'Import',
      (async function* () {
        yield { options };
        for await (const data of tarball) yield { data: Buffer.from(data) };
      })(),
    );
  }

  /** One berth build step; `layerTar` is sent as the layer when given (options.layerFromData). */
  buildStep(options: api.BuildStepOptions, layerTar?: AsyncIterable<Uint8Array>): Promise<api.BuildStepResponse__Output> {
    return this.clientStream<api.BuildStepRequest, api.BuildStepResponse__Output>(
      'BuildStep',
      (async function* () {
        yield { options };
        if (layerTar) for await (const data of layerTar) yield { data: Buffer.from(data) };
      })(),
    );
  }
  buildCacheLookup(cacheKey: string): Promise<api.BuildCacheLookupResponse__Output> {
    return this.unary('BuildCacheLookup', { cacheKey });
  }
}
