// The kernel interface for device numbers: lstat of a node gives its type and dev_t. Node
// returns st_rdev as a number that loses nothing below 2^53; the bigint form decodes glibc's
// major/minor split exactly (12+20 bits of major and 8+24 of minor spread over 64).
import type { BigIntStats } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { FailedPreconditionError } from '../../common/errors.js';
import type { DeviceType } from '../oci/spec/runtime-spec.js';

export interface DeviceNodeInfo {
  type: DeviceType;
  major: number;
  minor: number;
  /** Permission bits of the node, applied to the node runc creates in the container. */
  fileMode: number;
  uid: number;
  gid: number;
}

export function deviceMajor(rdev: bigint): number {
  return Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn));
}

export function deviceMinor(rdev: bigint): number {
  return Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn));
}

/** The node at `hostPath`, or undefined when nothing is there. Throws for a non-device. */
export async function readDeviceNode(hostPath: string): Promise<DeviceNodeInfo | undefined> {
  let stats: BigIntStats;
  try {
    stats = await lstat(hostPath, { bigint: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const type: DeviceType | undefined = stats.isCharacterDevice() ? 'c' : stats.isBlockDevice() ? 'b' : stats.isFIFO() ? 'p' : undefined;
  if (type === undefined) {
    throw new FailedPreconditionError(`${hostPath} is not a device node: recreate it with mknod or reload the driver`);
  }
  return {
    type,
    major: type === 'p' ? 0 : deviceMajor(stats.rdev),
    minor: type === 'p' ? 0 : deviceMinor(stats.rdev),
    fileMode: Number(stats.mode & 0o777n),
    uid: Number(stats.uid),
    gid: Number(stats.gid),
  };
}
