// A volume record as berth.v1.Volumes answers it (api/berth/v1/volumes.proto: Volume).
import type { Volume } from '../../../api/berth/berth-messages.js';
import type { Runtime } from '../../../runtime/runtime.js';
import type { VolumeRecord } from '../../../runtime/volumes/volume-store.js';

export function volumeMessage(runtime: Runtime, record: VolumeRecord, usedBy: readonly string[]): Volume {
  return {
    name: record.name,
    driver: 'local',
    mountpoint: runtime.volumes.mountpoint(record.name),
    createdAt: record.createdAt,
    labels: record.labels,
    anonymous: record.anonymous,
    usedBy: [...usedBy],
  };
}
