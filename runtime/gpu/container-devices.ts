// Devices for CreateContainer: NVIDIA GPUs asked for with the berth.dev/gpus annotation (docker's
// --gpus syntax) and any CDI device named in the CRI CDI_devices field or cdi.k8s.io/*
// annotations. At start the GPUs berth finds are written as a CDI spec, so that berth, the
// kubelet and any other CDI consumer see the same device names. A container that gets driver
// libraries (by any of these paths) gets its ld.so.cache updated too (ld-cache-hook.ts).
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { FailedPreconditionError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { DeviceConfig } from '../config.js';
import type { Spec } from '../oci/spec/runtime-spec.js';
import { buildCdiRegistry } from './cdi/cdi-registry.js';
import { injectCdiDevices } from './cdi/inject-devices.js';
import { nvidiaCdiSpec } from './cdi/nvidia-spec.js';
import { requestedCdiDevices } from './cdi/requested-devices.js';
import { loadCdiSpecs, writeCdiSpec } from './cdi/spec-dirs.js';
import { discoverNvidia, type NvidiaDiscovery } from './discover.js';
import { planGpuInjection } from './gpu-injection.js';
import { gpuRequestFromAnnotations } from './gpus-flag.js';
import { findLdconfig, withLdCacheUpdate } from './ld-cache-hook.js';

/** What a container asks of its devices: GPU and CDI annotations, and CDI devices by name. */
export interface DeviceRequest {
  annotations: Readonly<Record<string, string>>;
  cdiDevices: readonly { name: string }[];
}

export class ContainerDevices {
  private readonly libraryHostPaths: ReadonlySet<string>;

  private constructor(
    private readonly config: DeviceConfig,
    private readonly discovery: NvidiaDiscovery,
    private readonly ldconfig: string | undefined,
    private readonly logger: Logger,
  ) {
    this.libraryHostPaths = new Set(discovery.driver.libraries.map((file) => file.hostPath));
  }

  static async open(config: DeviceConfig, logger: Logger): Promise<ContainerDevices> {
    const discovery = await discoverNvidia({ driverRoot: config.gpuDriverRoot, devRoot: config.gpuDeviceRoot });
    for (const warning of discovery.warnings) logger.warn({ component: 'gpu' }, warning);
    if (discovery.gpus.length > 0) {
      const path = await writeCdiSpec(nvidiaCdiSpec(discovery), config.cdiOutputDir);
      logger.info({ gpus: discovery.gpus.map((g) => `${g.index}:${g.uuid}`), driver: discovery.driver.version, cdiSpec: path }, 'NVIDIA GPUs found');
    }
    const ldconfig = discovery.driver.libraries.length > 0 ? await findLdconfig() : undefined;
    if (discovery.driver.libraries.length > 0 && ldconfig === undefined) {
      logger.warn({ component: 'gpu' }, 'no ldconfig on this host: GPU containers get the driver libraries at their paths, not in their ld.so.cache');
    }
    return new ContainerDevices(config, discovery, ldconfig, logger);
  }

  get gpuCount(): number {
    return this.discovery.gpus.length;
  }

  /** The spec with the container's requested devices applied; unchanged when it asks for none. */
  async inject(spec: Spec, request: DeviceRequest): Promise<Spec> {
    const gpuRequest = gpuRequestFromAnnotations(request.annotations);
    const named = requestedCdiDevices(request.cdiDevices, request.annotations);
    if (!gpuRequest && named.length === 0) return spec;
    if (gpuRequest && this.discovery.gpus.length === 0) {
      throw new FailedPreconditionError(`the container asks for GPUs (berth.dev/gpus) but berth found none under ${this.config.gpuDeviceRoot} (is the NVIDIA driver loaded?)`);
    }
    const plan = gpuRequest ? planGpuInjection(gpuRequest, this.discovery) : undefined;
    // Read per container: device plugins and operators add and change specs while berth runs.
    const loaded = await loadCdiSpecs(this.config.cdiSpecDirs);
    for (const error of loaded.errors) this.logger.warn({ component: 'cdi', path: error.path }, `CDI spec ignored: ${error.message}`);
    const registry = buildCdiRegistry(loaded.specs, this.config.cdiSpecDirs);
    const injected = await injectCdiDevices(spec, registry, { ...plan, cdiDevices: [...(plan?.cdiDevices ?? []), ...named] });
    if (this.ldconfig === undefined) return injected;
    const updated = withLdCacheUpdate(injected, this.libraryHostPaths, this.ldconfig);
    // ldconfig writes /etc/ld.so.cache~ then renames it: an image without /etc gets an empty one,
    // as runc makes one for a container's /etc/hosts.
    if (updated !== injected) await mkdir(join(updated.root.path, 'etc'), { recursive: true, mode: 0o755 });
    return updated;
  }
}
