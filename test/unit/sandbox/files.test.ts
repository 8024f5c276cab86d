import { describe, expect, it } from 'vitest';
import { hostnameFileContent, hostsFileContent, resolvConfContent } from '../../../runtime/sandbox/files.js';

const localhostLines = [
  '# Kubernetes-managed hosts file.',
  '127.0.0.1\tlocalhost',
  '::1\tlocalhost ip6-localhost ip6-loopback',
  'fe00::0\tip6-localnet',
  'fe00::0\tip6-mcastprefix',
  'fe00::1\tip6-allnodes',
  'fe00::2\tip6-allrouters',
];

describe('/etc/hosts', () => {
  it('is the kubelet layout with one line per pod IP', () => {
    expect(hostsFileContent('web', ['10.85.0.5', 'fd00::5'])).toBe([...localhostLines, '10.85.0.5\tweb', 'fd00::5\tweb', ''].join('\n'));
  });

  it('names the FQDN first and the short name after it', () => {
    expect(hostsFileContent('web-0.web.default.svc.cluster.local', ['10.85.0.5']).split('\n').at(-2)).toBe('10.85.0.5\tweb-0.web.default.svc.cluster.local\tweb-0');
  });

  it('has only the localhost lines for a pod without IP', () => {
    expect(hostsFileContent('web', [])).toBe(`${localhostLines.join('\n')}\n`);
  });

  it('refuses a pod IP that is not an IP', () => {
    expect(() => hostsFileContent('web', ['10.85.0.5\n1.2.3.4 evil'])).toThrow(/not an IP address/);
  });
});

describe('/etc/resolv.conf', () => {
  it('lists search, nameservers and options in that order', () => {
    const dns = { servers: ['10.96.0.10', 'fd00::a'], searches: ['default.svc.cluster.local', 'svc.cluster.local'], options: ['ndots:5', 'edns0'] };
    expect(resolvConfContent(dns, 'nameserver 1.1.1.1\n')).toBe('search default.svc.cluster.local svc.cluster.local\nnameserver 10.96.0.10\nnameserver fd00::a\noptions ndots:5 edns0\n');
  });

  it('is the host file for an empty DNS config', () => {
    expect(resolvConfContent({ servers: [], searches: [], options: [] }, 'nameserver 192.0.2.53\n')).toBe('nameserver 192.0.2.53\n');
    expect(resolvConfContent(null, 'nameserver 192.0.2.53\n')).toBe('nameserver 192.0.2.53\n');
  });

  it.each([
    ['a server that is a name', { servers: ['dns.example'] }, /DNS server "dns.example" is not an IP address/],
    ['a server smuggling a line', { servers: ['10.0.0.1\nnameserver 6.6.6.6'] }, /not an IP address/],
    ['a search domain with a newline', { searches: ['a\nnameserver 6.6.6.6'] }, /search domain/],
    ['a search domain with a space', { searches: ['a b'] }, /search domain/],
    ['an empty option', { options: [''] }, /DNS option/],
    ['an option with a comment', { options: ['ndots:1#x'] }, /DNS option/],
  ])('refuses %s', (_name, partial, expected) => {
    expect(() => resolvConfContent({ servers: [], searches: [], options: [], ...partial }, '')).toThrow(expected);
  });
});

describe('/etc/hostname', () => {
  it('is the hostname and a newline', () => {
    expect(hostnameFileContent('web')).toBe('web\n');
  });

  it('refuses a hostname with a newline', () => {
    expect(() => hostnameFileContent('web\nx')).toThrow(/whitespace/);
  });
});
