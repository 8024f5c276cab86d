import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../../common/errors.js';
import { familiarName, formatReference, parseReference } from '../../../runtime/images/reference.js';

const hex = 'a'.repeat(64);

describe('parseReference', () => {
  it.each([
    ['busybox', 'docker.io/library/busybox:latest'],
    ['busybox:1.36', 'docker.io/library/busybox:1.36'],
    ['library/busybox', 'docker.io/library/busybox:latest'],
    ['foo/bar:v1', 'docker.io/foo/bar:v1'],
    ['docker.io/busybox', 'docker.io/library/busybox:latest'],
    ['index.docker.io/library/busybox:1', 'docker.io/library/busybox:1'],
    ['registry.k8s.io/pause:3.9', 'registry.k8s.io/pause:3.9'],
    ['127.0.0.1:5000/e2e-test-images/busybox:1.29-2', '127.0.0.1:5000/e2e-test-images/busybox:1.29-2'],
    ['localhost/berth/busybox', 'localhost/berth/busybox:latest'],
    ['localhost:5000/a', 'localhost:5000/a:latest'],
    [`busybox@sha256:${hex}`, `docker.io/library/busybox@sha256:${hex}`],
    [`busybox:1@sha256:${hex}`, `docker.io/library/busybox:1@sha256:${hex}`],
    ['a.b/c__d/e-f/g.h_i:T_a.g-1', 'a.b/c__d/e-f/g.h_i:T_a.g-1'],
    ['[::1]:5000/x', '[::1]:5000/x:latest'],
  ])('normalizes %s to %s', (input, expected) => {
    expect(formatReference(parseReference(input))).toBe(expected);
  });

  it.each([
    ['empty', ''],
    ['path traversal', '../../x'],
    ['dot component', 'foo/./bar'],
    ['traversal after a host', 'registry.example/../etc'],
    ['uppercase repository', 'docker.io/Library/busybox'],
    ['uppercase name', 'BusyBox'],
    ['huge tag', `busybox:${'a'.repeat(129)}`],
    ['tag starting with a dot', 'busybox:.hidden'],
    ['tag with a slash after colon', 'busybox:a/b:c'],
    ['empty tag', 'busybox:'],
    ['short digest', 'busybox@sha256:abc'],
    ['uppercase digest', `busybox@sha256:${'A'.repeat(64)}`],
    ['unknown digest algorithm', `busybox@md5:${hex}`],
    ['newline', 'busy\nbox'],
    ['query string', 'busybox?x=1'],
    ['space', 'busy box'],
    ['trailing slash', 'busybox/'],
    ['double slash', 'foo//bar'],
    ['bad port', 'host:99999/x'],
    ['bad host', '-bad.host/x'],
    ['bare image id', hex],
    ['over-long name', `foo/${'a'.repeat(300)}`],
    ['separator at end', 'foo-'],
    ['triple underscore', 'foo___bar'],
  ])('refuses %s', (_name, input) => {
    expect(() => parseReference(input)).toThrow(InvalidArgumentError);
  });

  it('names the offending text in the error', () => {
    expect(() => parseReference('../../x')).toThrow(/"\.\.\/\.\.\/x"/);
  });

  it.each([
    ['docker.io/library/busybox:latest', 'busybox:latest'],
    ['docker.io/foo/bar:1', 'foo/bar:1'],
    ['registry.k8s.io/pause:3.9', 'registry.k8s.io/pause:3.9'],
    [`docker.io/library/busybox@sha256:${hex}`, `busybox@sha256:${hex}`],
  ])('shows %s in familiar form as %s', (input, expected) => {
    expect(familiarName(parseReference(input))).toBe(expected);
  });
});
