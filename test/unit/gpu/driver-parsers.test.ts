import { describe, expect, it } from 'vitest';
import { capabilityOfLibrary, libraryBaseName, libraryVersion } from '../../../runtime/gpu/driver-capabilities.js';
import { parseGpuInformation } from '../../../runtime/gpu/gpu-information.js';
import { parseNvidiaMajors } from '../../../runtime/gpu/proc-devices.js';

describe('parseNvidiaMajors', () => {
  it('reads the character majors of nvidia, nvidia-uvm and nvidia-caps', () => {
    const text = 'Character devices:\n  1 mem\n195 nvidia\n234 nvidia-uvm\n235 nvidia-caps\n\nBlock devices:\n  8 sd\n';
    expect(parseNvidiaMajors(text)).toEqual({ nvidia: 195, uvm: 234, caps: 235 });
  });

  it('accepts the pre-550 name nvidia-frontend', () => {
    expect(parseNvidiaMajors('Character devices:\n195 nvidia-frontend\n')).toEqual({ nvidia: 195 });
  });

  it('ignores block devices of the same name', () => {
    expect(parseNvidiaMajors('Character devices:\n  1 mem\n\nBlock devices:\n 99 nvidia\n')).toEqual({});
  });
});

describe('parseGpuInformation', () => {
  const file = 'Model: \t\t NVIDIA A100-SXM4-40GB\nGPU UUID: \t GPU-1f2e3d4c-aaaa\nBus Location: \t 0000:3B:00.0\nDevice Minor: \t 3\n';

  it('reads model, UUID, bus id (lower-cased) and minor', () => {
    expect(parseGpuInformation(file, 'info', 'x')).toEqual({
      model: 'NVIDIA A100-SXM4-40GB',
      uuid: 'GPU-1f2e3d4c-aaaa',
      busId: '0000:3b:00.0',
      minor: 3,
    });
  });

  const bad: { name: string; text: string; error: string }[] = [
    { name: 'missing UUID', text: 'Device Minor: 0\n', error: 'info: "GPU UUID" is "", expected GPU-<hex>; is the driver loaded?' },
    { name: 'odd UUID', text: 'GPU UUID: ??\nDevice Minor: 0\n', error: 'info: "GPU UUID" is "??", expected GPU-<hex>' },
    { name: 'control minor', text: 'GPU UUID: GPU-aa\nDevice Minor: 255\n', error: '"Device Minor" is "255", expected 0-253' },
    { name: 'missing minor', text: 'GPU UUID: GPU-aa\n', error: '"Device Minor" is "", expected 0-253' },
  ];
  it.each(bad)('refuses $name', ({ text, error }) => {
    expect(() => parseGpuInformation(text, 'info', 'x')).toThrow(error);
  });

  it('falls back to the directory name for the bus id', () => {
    expect(parseGpuInformation('GPU UUID: GPU-aa\nDevice Minor: 0\n', 'info', '0000:01:00.0').busId).toBe('0000:01:00.0');
  });
});

describe('driver library names', () => {
  const cases: { file: string; base: string | undefined; version: string | undefined }[] = [
    { file: 'libcuda.so.550.54.15', base: 'libcuda', version: '550.54.15' },
    { file: 'libcuda.so.1', base: 'libcuda', version: undefined },
    { file: 'libnvidia-ml.so.535.104', base: 'libnvidia-ml', version: '535.104' },
    { file: 'libGLX_nvidia.so.0', base: 'libGLX_nvidia', version: undefined },
    { file: 'libcuda.so', base: 'libcuda', version: undefined },
    { file: 'README', base: undefined, version: undefined },
  ];
  it.each(cases)('$file', ({ file, base, version }) => {
    expect(libraryBaseName(file)).toBe(base);
    expect(libraryVersion(file)).toBe(version);
  });

  it('files each library under one capability and unknown ones under none', () => {
    expect(capabilityOfLibrary('libcuda')).toBe('compute');
    expect(capabilityOfLibrary('libnvidia-ml')).toBe('utility');
    expect(capabilityOfLibrary('libnvcuvid')).toBe('video');
    expect(capabilityOfLibrary('libEGL_nvidia')).toBe('graphics');
    expect(capabilityOfLibrary('libssl')).toBeUndefined();
  });
});
