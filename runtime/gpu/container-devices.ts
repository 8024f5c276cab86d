// Devices for CreateContainer: NVIDIA GPUs asked for with the berth.dev/gpus annotation (docker's
// --gpus syntax) and any CDI device named in the CRI CDI_devices field or cdi.k8s.io/*
// annotations. At start the GPUs berth finds are written as a CDI spec, so that berth, the
// kubelet and any other CDI consumer see the same device names.
import type { ContainerConfig__Output } from '../../cri/api/messages.js';
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

export class ContainerDevices {
  private constructor(
    private readonly config: DeviceConfig,
    private readonly discovery: NvidiaDiscovery,
    private readonly logger: Logger,
  ) {}

  static async open(config: DeviceConfig, logger: Logger): Promise<ContainerDevices> {
    const discovery = await discoverNvidia({ driverRoot: config.gpuDriverRoot, devRoot: config.gpuDeviceRoot });
    for (const warning of discovery.warnings) logger.warn({ component: 'gpu' }, warning);
    if (discovery.gpus.length > 0) {
      const path = await writeCdiSpec(nvidiaCdiSpec(discovery), config.cdiOutputDir);
      logger.info({ gpus: discovery.gpus.map((g) => `${g.index}:${g.uuid}`), driver: discovery.driver.version, cdiSpec: path }, 'NVIDIA GPUs found');
    }
    return new ContainerDevices(config, discovery, logger);
  }

  get gpuCount(): number {
    return this.discovery.gpus.length;
  }

  /** The spec with the container's requested devices applied; unchanged when it asks for none. */
  async inject(spec: Spec, container: ContainerConfig__Output): Promise<Spec> {
    const annotations = container.annotations ?? {};
    const gpuRequest = gpuRequestFromAnnotations(annotations);
    const named = requestedCdiDevices(container.CDIDevices ?? [], annotations);
    if (!gpuRequest && named.length === 0) return spec;
    if (gpuRequest && this.discovery.gpus.length === 0) {
      throw new FailedPreconditionError(
        `the container asks for GPUs (berth.dev/gpus) but berth found none under ${this.config.gpuDeviceRoot} (is the NVIDIA driver loaded?)`,
      );
    }
    const plan = gpuRequest ? planGpuInjection(gpuRequest, this.discovery.gpus) : undefined;
    // Read per container: device plugins and operators add and change specs while berth runs.
    const loaded = await loadCdiSpecs(this.config.cdiSpecDirs);
    for (const error of loaded.errors) this.logger.warn({ component: 'cdi', path: error.path }, `CDI spec ignored: ${error.message}`);
    const registry = buildCdiRegistry(loaded.specs, this.config.cdiSpecDirs);
    return injectCdiDevices(spec, registry, { cdiDevices: [...(plan?.cdiDevices ?? []), ...named], env: plan?.env ?? [] });
  }
}
