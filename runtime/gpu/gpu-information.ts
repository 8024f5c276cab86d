// /proc/driver/nvidia/gpus/<bus id>/information, one file per GPU the driver bound:
//   Model:           NVIDIA H100 80GB HBM3
//   GPU UUID:        GPU-8a7d0c5e-...
//   Bus Location:    0000:3b:00.0
//   Device Minor:    0
// The minor names the device node (/dev/nvidia<minor>); it is not the index nvidia-smi shows.
import { InvalidArgumentError } from '../../common/errors.js';

export interface GpuInformation {
  model: string;
  uuid: string;
  /** PCI address, lower-case, e.g. "0000:3b:00.0". */
  busId: string;
  minor: number;
}

const uuidPattern = /^GPU-[0-9a-fA-F-]+$/;

function fields(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    map.set(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  return map;
}

/** `source` names the file in errors; `busIdFallback` is the directory name. */
export function parseGpuInformation(text: string, source: string, busIdFallback: string): GpuInformation {
  const f = fields(text);
  const uuid = f.get('GPU UUID') ?? '';
  if (!uuidPattern.test(uuid)) {
    throw new InvalidArgumentError(`${source}: "GPU UUID" is "${uuid}", expected GPU-<hex>; is the driver loaded?`);
  }
  const minorText = f.get('Device Minor') ?? '';
  if (!/^\d+$/.test(minorText) || Number(minorText) > 253) {
    throw new InvalidArgumentError(`${source}: "Device Minor" is "${minorText}", expected 0-253 (254 and 255 are the control nodes)`);
  }
  const busId = (f.get('Bus Location') || busIdFallback).toLowerCase();
  return { model: f.get('Model') ?? 'unknown', uuid, busId, minor: Number(minorText) };
}
