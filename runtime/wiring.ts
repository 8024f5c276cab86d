// Builds the real adapters behind the managers' ports from the configuration. Tests pass their
// own ports to Runtime.open instead.
import { UnimplementedError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { RuntimeConfig } from './config.js';
import type { ContainerPorts } from './containers/container-manager.js';
import { LinuxMounter } from './linux/mounts.js';
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

export async function createPorts(_config: RuntimeConfig, _logger: Logger): Promise<RuntimePorts> {
  return {
    sandbox: {
      namespaces: { create: pending('pinning pod namespaces'), remove: async () => undefined },
      network: { setUp: pending('pod networking'), tearDown: async () => undefined },
      files: { prepare: pending('pod sandbox files'), release: async () => undefined },
    },
    container: {
      snapshots: { prepare: pending('snapshots'), remove: async () => undefined },
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
      mounter: new LinuxMounter(),
    },
    unpacker: { ensureUnpacked: pending('unpacking layers into snapshots'), collect: async () => undefined },
    networkStatus: async () => ({ ok: false, reason: 'NetworkPluginNotReady', message: 'berth does not set up pod networking yet (issue #3)' }),
  };
}
