// The node's GPUs as the kubelet sees them: the devices of kind nvidia.com/gpu in the CDI specs
// under the CDI directories (berth's runtime writes one for the GPUs it finds; the NVIDIA
// Container Toolkit writes the same). The kubelet reads the specs, never the driver, so it stays
// on its side of the CRI. A device is counted by its index name ("0", "1", ...): the same GPU
// also appears under its UUID and in "all".
import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';

export const gpuResource = 'nvidia.com/gpu';

/** Pure: the qualified names (nvidia.com/gpu=N) of the GPUs one CDI spec document lists. */
export function gpusInCdiSpec(document: unknown): string[] {
  if (!document || typeof document !== 'object') return [];
  const spec = document as { kind?: unknown; devices?: unknown };
  if (spec.kind !== gpuResource || !Array.isArray(spec.devices)) return [];
  return spec.devices
    .map((device) => (device && typeof device === 'object' ? (device as { name?: unknown }).name : undefined))
    .filter((name): name is string => typeof name === 'string' && /^\d+$/.test(name))
    .map((name) => `${gpuResource}=${name}`);
}

/** Every GPU in the JSON CDI specs of `dirs`, sorted by index; unreadable files are skipped. */
export async function readGpuInventory(dirs: readonly string[]): Promise<string[]> {
  const found = new Set<string>();
  for (const dir of dirs) {
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names.filter((n) => ['.json', '.yaml', '.yml'].includes(extname(n)))) {
      const text = await readFile(join(dir, name), 'utf8').catch(() => '');
      try {
        for (const device of gpusInCdiSpec(JSON.parse(text))) found.add(device);
      } catch {
        // not JSON (a YAML spec): berth's runtime writes JSON; others are not counted yet
      }
    }
  }
  const index = (device: string): number => Number(device.slice(device.indexOf('=') + 1));
  return [...found].sort((a, b) => index(a) - index(b));
}
