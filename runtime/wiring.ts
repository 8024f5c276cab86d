// Builds the real adapters behind the managers' ports from the configuration. Tests pass their
// own ports to Runtime.open instead.
import { UnimplementedError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { RuntimeConfig } from './config.js';
import type { ContainerPorts } from './containers/container-manager.js';
import { join } from 'node:path';
import { CniNetwork } from '../cni/network.js';
import { ensureDefaultNetworkConfig } from '../cni/default-config.js';
import { ExecaPluginExecutor } from '../cni/plugin-exec.js';
import { SnapshotLayerUnpacker } from './images/layer-unpacker.js';
import { LinuxMounter } from './linux/mounts.js';
import { OverlaySnapshotter } from './snapshots/snapshotter.js';
import { LinuxNamespacePinner } from './linux/namespaces.js';
import { cniNetworkPort } from './sandbox/cni-network-port.js';
import { SandboxFileWriter } from './sandbox/files-writer.js';
import type { LayerUnpacker } from './images/images.js';
import type { Condition } from './runtime.js';
import type { SandboxPorts } from './sandbox/sandbox-manager.js';

export interface RuntimePorts {
  sandbox: SandboxPorts;
  /** The image port is filled in by the runtime from its image store. */
  container: Omit<ContainerPorts, 'images'>;
  unpacker: LayerUnpacker;
  networkStatus(): Promise<Condition>;
}

function pending(what: string): () => Promise<never> {
  return async () => {
    throw new UnimplementedError(`${what} is not wired into berth yet (issue #3 in progress)`);
  };
}

export async function createPorts(config: RuntimeConfig, logger: Logger): Promise<RuntimePorts> {
  const mounter = new LinuxMounter();
  const snapshots = await OverlaySnapshotter.open(join(config.rootDir, 'snapshots'), { logger });
  const written = await ensureDefaultNetworkConfig(config.cniConfDir, { ipamDataDir: join(config.stateDir, 'cni/ipam') });
  if (written) logger.info({ file: written }, 'no CNI configuration found; wrote berth\'s default network');
  const network = new CniNetwork({
    confDir: config.cniConfDir,
    cacheDir: join(config.stateDir, 'cni/results'),
    executor: new ExecaPluginExecutor({ binDirs: config.cniBinDirs }),
    logger,
  });
  return {
    sandbox: {
      // The sandbox manager keeps its per-sandbox dirs here; pins must live inside them.
      namespaces: new LinuxNamespacePinner({ root: join(config.stateDir, 'sandboxes'), mounter }),
      network: cniNetworkPort(network),
      files: new SandboxFileWriter({ mounter }),
    },
    container: {
      snapshots: {
        prepare: (key, parent) => snapshots.prepare(key, parent || undefined),
        remove: async (key) => {
          await snapshots.remove(key).catch((error: unknown) => {
            if ((error as { code?: string }).code !== 'NOT_FOUND') throw error;
          });
        },
      },
      spec: { build: pending('OCI spec generation') },
      monitor: {
        create: pending('conmon'),
        start: pending('conmon'),
        stop: pending('conmon'),
        exitStatus: async () => undefined,
        delete: async () => undefined,
        execSync: pending('exec'),
        reopenLog: pending('log reopening'),
      },
      mounter,
    },
    unpacker: new SnapshotLayerUnpacker(snapshots, logger),
    networkStatus: async () => {
      const status = await network.status();
      return { ok: status.ready, reason: status.ready ? '' : status.reason ?? 'NetworkPluginNotReady', message: status.ready ? '' : status.message ?? '' };
    },
  };
}
