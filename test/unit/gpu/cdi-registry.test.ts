import { describe, expect, it } from 'vitest';
import { buildCdiRegistry, type LoadedCdiSpec } from '../../../runtime/gpu/cdi/cdi-registry.js';
import type { CdiSpec } from '../../../runtime/gpu/cdi/cdi-types.js';

function loaded(path: string, priority: number, kind: string, devices: Record<string, string[]>, common?: string[]): LoadedCdiSpec {
  const spec: CdiSpec = {
    cdiVersion: '0.6.0',
    kind,
    devices: Object.entries(devices).map(([name, env]) => ({ name, containerEdits: { env } })),
  };
  if (common !== undefined) spec.containerEdits = { env: common };
  return { spec, path, priority };
}

const nvidia = loaded('/var/run/cdi/nvidia.json', 1, 'nvidia.com/gpu', { '0': ['GPU=0'], '1': ['GPU=1'], all: ['GPU=all'] }, ['COMMON=nvidia']);
const fpga = loaded('/etc/cdi/fpga.json', 0, 'example.com/fpga', { a: ['FPGA=a'] }, ['COMMON=fpga']);

describe('buildCdiRegistry', () => {
  it('lists the devices of every vendor by qualified name', () => {
    expect(buildCdiRegistry([nvidia, fpga]).deviceNames()).toEqual(['example.com/fpga=a', 'nvidia.com/gpu=0', 'nvidia.com/gpu=1', 'nvidia.com/gpu=all']);
  });

  it('resolves each spec’s common edits once, before its first device, across vendors', () => {
    const resolved = buildCdiRegistry([nvidia, fpga]).resolve(['nvidia.com/gpu=1', 'example.com/fpga=a', 'nvidia.com/gpu=0', 'nvidia.com/gpu=1']);
    expect(resolved.map((r) => [r.source, r.edits.env])).toEqual([
      ['spec /var/run/cdi/nvidia.json', ['COMMON=nvidia']],
      ['device nvidia.com/gpu=1', ['GPU=1']],
      ['spec /etc/cdi/fpga.json', ['COMMON=fpga']],
      ['device example.com/fpga=a', ['FPGA=a']],
      ['device nvidia.com/gpu=0', ['GPU=0']],
    ]);
  });

  it('lets the later directory win for a device defined in both', () => {
    const stale = loaded('/etc/cdi/old-nvidia.json', 0, 'nvidia.com/gpu', { '0': ['GPU=stale'] });
    const resolved = buildCdiRegistry([nvidia, stale]).resolve(['nvidia.com/gpu=0']);
    expect(resolved.at(-1)?.edits.env).toEqual(['GPU=0']);
  });

  it('refuses a device that two specs in the same directory define', () => {
    const twin = loaded('/var/run/cdi/nvidia-copy.json', 1, 'nvidia.com/gpu', { '0': ['GPU=twin'] });
    const registry = buildCdiRegistry([nvidia, twin]);
    expect(() => registry.resolve(['nvidia.com/gpu=0'])).toThrow('CDI device "nvidia.com/gpu=0" is defined by both /var/run/cdi/nvidia-copy.json and /var/run/cdi/nvidia.json: remove one of them');
    expect(registry.deviceNames()).not.toContain('nvidia.com/gpu=0');
    expect(registry.resolve(['nvidia.com/gpu=1'])).toHaveLength(2);
  });

  it('names the known devices of a kind when a name is unknown', () => {
    expect(() => buildCdiRegistry([nvidia]).resolve(['nvidia.com/gpu=7'])).toThrow(
      'CDI device "nvidia.com/gpu=7" is not defined; nvidia.com/gpu has nvidia.com/gpu=0, nvidia.com/gpu=1, nvidia.com/gpu=all',
    );
  });

  it('says which directories lack a kind', () => {
    expect(() => buildCdiRegistry([nvidia], ['/etc/cdi', '/var/run/cdi']).resolve(['amd.com/gpu=0'])).toThrow(
      'CDI device "amd.com/gpu=0": no CDI spec in /etc/cdi, /var/run/cdi provides kind amd.com/gpu',
    );
  });
});
