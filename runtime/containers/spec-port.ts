// The SpecPort CreateContainer uses: gathers the host facts and files the pure spec builder
// needs (device nodes, a Localhost seccomp profile), picks the cgroup path, and builds.
import { lstat, readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { InvalidArgumentError, NotFoundError, errorMessage } from '../../common/errors.js';
import { buildContainerSpec } from '../oci/spec/build-container-spec.js';
import type { LinuxSeccomp, Spec } from '../oci/spec/runtime-spec.js';
import { localhostSeccompRef } from '../oci/spec/seccomp-choice.js';
import type { HostDevice, HostFacts } from '../oci/spec/spec-input.js';
import type { DeviceRequest } from '../gpu/container-devices.js';
import type { SandboxRecord } from '../sandbox/sandbox-record.js';
import type { SpecInput, SpecPort } from './container-ports.js';

/** The OCI cgroupsPath of a container in `sandbox`: below the pod's cgroup (decided by the cgroup layer). */
export type CgroupPathFor = (sandbox: Pick<SandboxRecord, 'config' | 'cgroupPath'>, containerId: string) => string;

async function hostDevice(path: string): Promise<HostDevice> {
  const info = await lstat(path).catch((error: unknown) => {
    throw new NotFoundError(`device ${path} does not exist on the host: ${errorMessage(error)}`);
  });
  const type = info.isCharacterDevice() ? 'c' : info.isBlockDevice() ? 'b' : undefined;
  if (!type) throw new InvalidArgumentError(`${path} is not a device node`);
  // Linux's dev_t: major in bits 8-19 (and 32+), minor in bits 0-7 and 20-31.
  const rdev = info.rdev;
  const major = Math.floor(rdev / 256) & 0xfff;
  const minor = (rdev & 0xff) | ((Math.floor(rdev / 4096) & 0xfff00) >>> 0);
  return { type, major, minor, fileMode: info.mode & 0o7777, uid: info.uid, gid: info.gid };
}

/** The first signal StopContainer sends: the CRI's, else the image's STOPSIGNAL, else SIGTERM. */
function stopSignalOf(input: SpecInput): string {
  // CRI names its enum values SIGNAL_SIGTERM, ...; SIGNAL_RUNTIME_DEFAULT leaves the choice to us.
  const fromCri = String(input.container.stopSignal ?? 'SIGNAL_RUNTIME_DEFAULT').replace(/^SIGNAL_/, '');
  if (fromCri !== 'RUNTIME_DEFAULT' && fromCri !== '0') return fromCri;
  const fromImage = input.image.config.config?.StopSignal;
  if (fromImage) return /^\d+$/.test(fromImage) || fromImage.startsWith('SIG') ? fromImage : `SIG${fromImage}`;
  return 'SIGTERM';
}

/** Applies the devices a container asks for (GPUs, CDI) to its finished spec. */
export interface DeviceInjector {
  inject(spec: Spec, request: DeviceRequest): Promise<Spec>;
}

export function ociSpecPort(host: HostFacts, cgroupPathFor: CgroupPathFor, deviceInjector: DeviceInjector, limits: { pidsLimit?: number | undefined } = {}): SpecPort {
  return {
    async build(input) {
      const devices: Record<string, HostDevice> = {};
      for (const device of input.container.devices) devices[device.hostPath] = await hostDevice(device.hostPath);
      const profileRef = localhostSeccompRef(input.container.linux?.securityContext);
      let localhostSeccomp: LinuxSeccomp | undefined;
      if (profileRef) {
        const text = await readFile(profileRef, 'utf8').catch((error: unknown) => {
          throw new NotFoundError(`seccomp profile ${profileRef} cannot be read: ${errorMessage(error)}`);
        });
        try {
          localhostSeccomp = JSON.parse(text) as LinuxSeccomp;
        } catch (error) {
          throw new InvalidArgumentError(`seccomp profile ${profileRef} is not valid JSON: ${errorMessage(error)}`);
        }
      }
      const sandbox = input.sandbox;
      if (!sandbox.files) throw new Error(`sandbox ${sandbox.id} has no files`);
      const { spec, warnings } = buildContainerSpec({
        containerId: input.containerId,
        config: input.container,
        imageName: input.container.image?.image ?? input.image.ref,
        image: input.image.config,
        rootfsPath: input.rootfs,
        cgroupsPath: cgroupPathFor(sandbox, input.containerId),
        sandbox: {
          id: sandbox.id,
          config: sandbox.config,
          hostname: sandbox.hostNetwork ? hostname() : sandbox.hostname,
          namespaces: sandbox.namespaces,
          files: sandbox.files,
          ...(limits.pidsLimit !== undefined ? { pidsLimit: limits.pidsLimit } : {}),
        },
        host,
        etcPasswd: input.passwd,
        etcGroup: input.group,
        devices,
        ...(localhostSeccomp ? { localhostSeccomp } : {}),
      });
      return { spec: await deviceInjector.inject(spec, { annotations: input.container.annotations ?? {}, cdiDevices: input.container.CDIDevices ?? [] }), warnings, stopSignal: stopSignalOf(input) };
    },
  };
}
