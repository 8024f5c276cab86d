// Which devices of one resource each container holds: a container whose limits ask for N gets N
// devices no other running pod holds, the same ones again when it restarts (while they still
// exist), and they are free once its pod has terminated. The assignment travels with the
// container as a CRI annotation, so a restarted kubelet finds it again (adopt) instead of keeping
// state of its own. Used for the CDI GPUs and for each device plugin's resource.
import { ResourceExhaustedError } from '../../common/errors.js';

/** Container annotation with the CDI devices the kubelet gave it, comma-separated. */
export const devicesAnnotation = 'berth.dev/kubelet-cdi-devices';

export class DeviceAllocator {
  /** `${podUid}/${container}` → devices. */
  private readonly assigned = new Map<string, string[]>();

  /** `noun`: what the devices are called in errors (GPUs, or the resource name). */
  constructor(
    private readonly inventory: () => readonly string[],
    private readonly noun = 'GPUs',
  ) {}

  /** The devices of the container, assigned now (and held from now on) if it has none yet. */
  allocate(podUid: string, container: string, count: number): string[] {
    const key = `${podUid}/${container}`;
    const available = this.inventory();
    const held = this.assigned.get(key);
    if (held && held.length === count && held.every((device) => available.includes(device))) return held;
    const taken = new Set([...this.assigned].filter(([k]) => k !== key).flatMap(([, devices]) => devices));
    const free = available.filter((device) => !taken.has(device));
    if (free.length < count) {
      throw new ResourceExhaustedError(`container ${container} asks for ${count} ${this.noun} but ${free.length} of ${available.length} are free on this node`);
    }
    const devices = free.slice(0, count);
    this.assigned.set(key, devices);
    return devices;
  }

  /** The devices the container holds, if any. */
  held(podUid: string, container: string): readonly string[] | undefined {
    return this.assigned.get(`${podUid}/${container}`);
  }

  /** Frees the container's devices (an assignment its device plugin would not honour). */
  forget(podUid: string, container: string): void {
    this.assigned.delete(`${podUid}/${container}`);
  }

  /** A container found in the runtime with devices assigned by an earlier kubelet. */
  adopt(podUid: string, container: string, annotation: string | undefined): void {
    const devices = (annotation ?? '').split(',').filter((d) => d !== '');
    if (devices.length > 0) this.assigned.set(`${podUid}/${container}`, devices);
  }

  /** Frees every device of the pod. */
  release(podUid: string): void {
    for (const key of [...this.assigned.keys()]) if (key.startsWith(`${podUid}/`)) this.assigned.delete(key);
  }

  /** Which container holds each GPU, by index (nvidia.com/gpu=N), for the GPU metrics. */
  holders(): Map<number, { podUid: string; container: string }> {
    const held = new Map<number, { podUid: string; container: string }>();
    for (const [key, devices] of this.assigned) {
      const slash = key.indexOf('/');
      for (const device of devices) {
        const index = Number(device.slice(device.indexOf('=') + 1));
        if (Number.isInteger(index)) held.set(index, { podUid: key.slice(0, slash), container: key.slice(slash + 1) });
      }
    }
    return held;
  }

  /** Devices held by pods, for admission and metrics. */
  get inUse(): number {
    return [...this.assigned.values()].reduce((sum, devices) => sum + devices.length, 0);
  }
}
