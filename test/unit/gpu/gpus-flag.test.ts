import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../../common/errors.js';
import { gpuRequestFromAnnotations, parseGpuRequest, type GpuRequest } from '../../../runtime/gpu/gpus-flag.js';

const defaults = ['utility', 'compute'];

describe('parseGpuRequest accepts docker --gpus syntax', () => {
  const cases: { input: string; devices: GpuRequest['devices']; capabilities?: string[]; options?: Record<string, string> }[] = [
    { input: 'all', devices: 'all' },
    { input: '2', devices: { count: 2 } },
    { input: 'count=3', devices: { count: 3 } },
    { input: 'count=all', devices: 'all' },
    { input: 'device=0', devices: { ids: [{ index: 0 }] } },
    { input: '"device=0,2"', devices: { ids: [{ index: 0 }, { index: 2 }] } },
    { input: 'device=GPU-3a8c-11ee', devices: { ids: [{ uuid: 'GPU-3a8c-11ee' }] } },
    { input: '"device=GPU-aa,GPU-bb"', devices: { ids: [{ uuid: 'GPU-aa' }, { uuid: 'GPU-bb' }] } },
    { input: 'device=GPU-aa,GPU-bb', devices: { ids: [{ uuid: 'GPU-aa' }, { uuid: 'GPU-bb' }] } },
    { input: 'device=all', devices: 'all' },
    { input: 'all,capabilities=compute', devices: 'all', capabilities: ['compute'] },
    { input: 'capabilities=compute,utility', devices: 'all', capabilities: ['utility', 'compute'] },
    { input: '2,"capabilities=video,compute"', devices: { count: 2 }, capabilities: ['compute', 'video'] },
    { input: 'capabilities=all', devices: 'all', capabilities: ['utility', 'compute', 'video', 'graphics', 'display'] },
    { input: 'capabilities=gpu', devices: 'all', capabilities: defaults },
    { input: 'all,driver=nvidia', devices: 'all' },
    { input: 'all,"options=a=1,b=2"', devices: 'all', options: { a: '1', b: '2' } },
    { input: ' 1 ', devices: { count: 1 } },
  ];
  it.each(cases)('$input', ({ input, devices, capabilities, options }) => {
    expect(parseGpuRequest(input)).toEqual({ devices, capabilities: capabilities ?? defaults, options: options ?? {} });
  });
});

describe('parseGpuRequest refuses bad syntax with an actionable message', () => {
  const cases: { input: string; error: string }[] = [
    { input: '', error: '--gpus "": empty; use "all", a count like "2", or "device=0"' },
    { input: '0', error: '--gpus "0": count "0" must be a positive number or "all"' },
    { input: '-1', error: '--gpus "-1": count "-1" must be a positive number or "all"' },
    { input: 'count=', error: '--gpus "count=": count "" must be a positive number or "all"' },
    { input: 'two', error: '--gpus "two": count "two" must be a positive number or "all"' },
    {
      input: 'device=0,2',
      error: `--gpus "device=0,2": a count and devices cannot be combined; to list several devices quote them: '"device=0,2"'`,
    },
    {
      input: '2,device=1',
      error: `--gpus "2,device=1": a count and devices cannot be combined; to list several devices quote them: '"device=0,2"'`,
    },
    { input: 'count=1,count=2', error: '--gpus "count=1,count=2": "count" is given twice' },
    { input: '1,2', error: '--gpus "1,2": the count is given twice' },
    { input: 'devices=0', error: '--gpus "devices=0": unknown key "devices"; use count, device, capabilities, driver, options' },
    { input: 'device=', error: '--gpus "device=": a device is empty; list indexes or GPU-<uuid> separated by commas' },
    { input: 'device=gpu0', error: '--gpus "device=gpu0": device "gpu0" is neither a GPU index nor a GPU-<uuid>' },
    { input: 'device=MIG-1234', error: '--gpus "device=MIG-1234": device "MIG-1234" is a MIG device, which berth does not support yet' },
    { input: 'capabilities=compute,fly', error: '--gpus "capabilities=compute,fly": capability "fly" is unknown; use utility, compute, video, graphics, display or all' },
    { input: 'all,driver=amd', error: '--gpus "all,driver=amd": driver "amd" is not supported: berth injects NVIDIA GPUs only' },
    { input: 'all,options=novalue', error: '--gpus "all,options=novalue": option "novalue" must be key=value' },
    { input: '"device=0,1', error: '--gpus ""device=0,1": a quote is not closed' },
    { input: `device="0,1"`, error: `--gpus "device="0,1"": a quote inside a field; quote whole fields, e.g. '"device=0,2"'` },
    { input: `"device=0"x`, error: `--gpus ""device=0"x": text after a closing quote; quote whole fields, e.g. '"device=0,2"'` },
  ];
  it.each(cases)('$input', ({ input, error }) => {
    let thrown: unknown;
    try {
      parseGpuRequest(input);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(InvalidArgumentError);
    expect((thrown as Error).message).toBe(error);
  });
});

describe('gpuRequestFromAnnotations', () => {
  it('reads the same syntax from the berth.dev/gpus annotation', () => {
    expect(gpuRequestFromAnnotations({ 'berth.dev/gpus': '"device=0,2"', other: 'x' })).toEqual({
      devices: { ids: [{ index: 0 }, { index: 2 }] },
      capabilities: defaults,
      options: {},
    });
  });

  it('returns nothing when the annotation is absent', () => {
    expect(gpuRequestFromAnnotations({ 'cdi.k8s.io/gpu': 'nvidia.com/gpu=0' })).toBeUndefined();
  });

  it('names the annotation in its errors', () => {
    expect(() => gpuRequestFromAnnotations({ 'berth.dev/gpus': 'lots' })).toThrow('annotation berth.dev/gpus "lots": count "lots" must be a positive number or "all"');
  });
});
