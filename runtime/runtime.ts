// The runtime facade the CRI server calls: one object owning the stores and adapters. It grows
// with each part (images, sandboxes, containers); the CRI layer never reaches past it.
import { statfs } from 'node:fs/promises';
import { mkdir } from 'node:fs/promises';
import type { Logger } from '../common/logger.js';
import type { RuntimeConfig } from './config.js';

export interface Condition {
  ok: boolean;
  reason: string;
  message: string;
}

export interface RuntimeStatus {
  runtimeReady: Condition;
  networkReady: Condition;
}

export interface FilesystemUsage {
  mountpoint: string;
  usedBytes: number;
  inodesUsed: number;
}

export const runtimeName = 'berth';

export class Runtime {
  private constructor(
    readonly config: RuntimeConfig,
    private readonly logger: Logger,
  ) {}

  static async open(config: RuntimeConfig, logger: Logger): Promise<Runtime> {
    await mkdir(config.rootDir, { recursive: true, mode: 0o711 });
    await mkdir(config.stateDir, { recursive: true, mode: 0o711 });
    logger.info({ rootDir: config.rootDir, stateDir: config.stateDir }, 'runtime opened');
    return new Runtime(config, logger);
  }

  async status(): Promise<RuntimeStatus> {
    return {
      runtimeReady: { ok: true, reason: '', message: '' },
      networkReady: {
        ok: false,
        reason: 'NetworkPluginNotReady',
        message: 'berth does not set up pod networking yet (issue #3)',
      },
    };
  }

  /** Usage of the filesystem holding images, for ImageFsInfo. */
  async imageFilesystem(): Promise<FilesystemUsage> {
    const stats = await statfs(this.config.rootDir);
    return {
      mountpoint: this.config.rootDir,
      usedBytes: (stats.blocks - stats.bfree) * stats.bsize,
      inodesUsed: stats.files - stats.ffree,
    };
  }

  async close(): Promise<void> {
    this.logger.info('runtime closed');
  }
}
