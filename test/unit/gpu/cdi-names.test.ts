import { describe, expect, it } from 'vitest';
import { requestedCdiDevices } from '../../../runtime/gpu/cdi/requested-devices.js';
import { parseQualifiedName } from '../../../runtime/gpu/cdi/qualified-name.js';

describe('parseQualifiedName', () => {
  const good: { input: string; vendor: string; cls: string; name: string }[] = [
    { input: 'nvidia.com/gpu=0', vendor: 'nvidia.com', cls: 'gpu', name: '0' },
    { input: 'nvidia.com/gpu=GPU-3a8c-11ee', vendor: 'nvidia.com', cls: 'gpu', name: 'GPU-3a8c-11ee' },
    { input: 'nvidia.com/gpu=all', vendor: 'nvidia.com', cls: 'gpu', name: 'all' },
    { input: 'nvidia.com/mig=0:1', vendor: 'nvidia.com', cls: 'mig', name: '0:1' },
    { input: 'foo.bar.baz/foo-bar123.B_az=dev_1', vendor: 'foo.bar.baz', cls: 'foo-bar123.B_az', name: 'dev_1' },
  ];
  it.each(good)('reads $input', ({ input, vendor, cls, name }) => {
    expect(parseQualifiedName(input)).toEqual({ vendor, class: cls, name, kind: `${vendor}/${cls}` });
  });

  const bad: { input: string; reason: string }[] = [
    { input: 'gpu0', reason: 'it has no "=name" part' },
    { input: 'nvidia.com=0', reason: 'kind "nvidia.com" must be vendor/class, e.g. nvidia.com/gpu' },
    { input: 'nvidia.com/gpu/x=0', reason: 'class "gpu/x" may use only letters, digits, "_", "-" and "."' },
    { input: '1vendor/gpu=0', reason: 'vendor "1vendor" must start with a letter' },
    { input: 'vendor./gpu=0', reason: 'vendor "vendor." must end with a letter or digit' },
    { input: '/gpu=0', reason: 'vendor is empty' },
    { input: 'nvidia.com/gpu=', reason: 'device name is empty' },
    { input: 'nvidia.com/gpu=-0', reason: 'device name "-0" must start and end with a letter or digit' },
    { input: 'nvidia.com/gpu=a b', reason: 'device name "a b" may use only letters, digits, "_", "-", "." and ":"' },
    { input: 'nvidia.com/gpu=../x', reason: 'device name "../x" must start and end with a letter or digit' },
  ];
  it.each(bad)('refuses $input', ({ input, reason }) => {
    expect(() => parseQualifiedName(input)).toThrow(`CDI device "${input}" is not a qualified name vendor/class=name (${reason})`);
  });
});

describe('requestedCdiDevices', () => {
  it('takes the CRI field first, then the cdi.k8s.io annotations in key order, each name once', () => {
    const names = requestedCdiDevices([{ name: 'nvidia.com/gpu=1' }], {
      'cdi.k8s.io/zeta': 'example.com/fpga=a',
      'cdi.k8s.io/alpha': 'nvidia.com/gpu=0, nvidia.com/gpu=1',
      'io.kubernetes.cri.something': 'ignored',
    });
    expect(names).toEqual(['nvidia.com/gpu=1', 'nvidia.com/gpu=0', 'example.com/fpga=a']);
  });

  const bad: { name: string; field: { name: string }[]; annotations: Record<string, string>; error: string }[] = [
    { name: 'an empty field entry', field: [{ name: '' }], annotations: {}, error: 'CDI_devices has an entry with an empty name' },
    { name: 'an unqualified field name', field: [{ name: 'gpu0' }], annotations: {}, error: 'CDI device "gpu0" is not a qualified name' },
    { name: 'an unqualified annotation name', field: [], annotations: { 'cdi.k8s.io/x': 'gpu0' }, error: 'CDI device "gpu0"' },
    { name: 'an empty annotation key', field: [], annotations: { 'cdi.k8s.io/': 'nvidia.com/gpu=0' }, error: 'annotation cdi.k8s.io/: the part after' },
    { name: 'a key with a slash', field: [], annotations: { 'cdi.k8s.io/a/b': 'nvidia.com/gpu=0' }, error: 'annotation cdi.k8s.io/a/b' },
  ];
  it.each(bad)('refuses $name', ({ field, annotations, error }) => {
    expect(() => requestedCdiDevices(field, annotations)).toThrow(error);
  });
});
