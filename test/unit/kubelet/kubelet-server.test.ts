import { describe, expect, it } from 'vitest';
import { accessAttributes } from '../../../kubelet/server/authn.js';
import { parseCriLog, parseLogOptions, parseLogTarget, rfc3339Nano, selectLines } from '../../../kubelet/server/container-logs.js';
import { parseRunRequest } from '../../../kubelet/server/run-command.js';
import { parseStreamRequest } from '../../../kubelet/server/stream-requests.js';
import { streamingUrl } from '../../../kubelet/server/stream-targets.js';
import { replayedRequestHead } from '../../../kubelet/server/upgrade-proxy.js';
import { NotFoundError } from '../../../common/errors.js';
import { RecordingCri } from './recording-cri.js';

describe('kubelet API authorization attributes', () => {
  it('maps paths to the node subresources upstream checks', () => {
    expect(accessAttributes('GET', '/stats/summary', 'n1')).toEqual({ verb: 'get', resource: 'nodes', subresource: 'stats', name: 'n1' });
    expect(accessAttributes('GET', '/metrics/cadvisor', 'n1').subresource).toBe('metrics');
    expect(accessAttributes('GET', '/logs/syslog', 'n1').subresource).toBe('log');
    expect(accessAttributes('GET', '/containerLogs/ns/pod/c', 'n1').subresource).toBe('proxy');
    expect(accessAttributes('POST', '/exec/ns/pod/c', 'n1')).toMatchObject({ verb: 'create', subresource: 'proxy' });
  });
});

describe('container log options', () => {
  const now = Date.parse('2026-12-04T12:00:00Z');
  it('reads the kubectl logs query', () => {
    expect(parseLogOptions(new URLSearchParams('follow=true&tailLines=5&timestamps=1&limitBytes=100'), now)).toEqual({
      follow: true,
      previous: false,
      timestamps: true,
      tailLines: 5,
      limitBytes: 100,
      sinceMs: undefined,
    });
    expect(parseLogOptions(new URLSearchParams('sinceSeconds=60'), now).sinceMs).toBe(now - 60_000);
    expect(parseLogOptions(new URLSearchParams('sinceTime=2026-12-04T11:00:00Z'), now).sinceMs).toBe(now - 3600_000);
  });
  it('refuses what it cannot mean', () => {
    expect(() => parseLogOptions(new URLSearchParams('tailLines=-1'), now)).toThrow(/non-negative integer/);
    expect(() => parseLogOptions(new URLSearchParams('follow=maybe'), now)).toThrow(/not a boolean/);
    expect(() => parseLogOptions(new URLSearchParams('sinceSeconds=1&sinceTime=2026-12-04T11:00:00Z'), now)).toThrow(/at most one/);
    expect(() => parseLogOptions(new URLSearchParams('sinceTime=yesterday'), now)).toThrow(/RFC 3339/);
    expect(() => parseLogOptions(new URLSearchParams('limitBytes=0'), now)).toThrow(/positive/);
  });
  it('refuses numbers a JavaScript number would round, and sinceSeconds=0 as upstream', () => {
    expect(() => parseLogOptions(new URLSearchParams('tailLines=9007199254740992'), now)).toThrow(/out of range/);
    expect(parseLogOptions(new URLSearchParams('tailLines=9007199254740991'), now).tailLines).toBe(Number.MAX_SAFE_INTEGER);
    expect(() => parseLogOptions(new URLSearchParams('sinceSeconds=0'), now)).toThrow(/greater than 0/);
    expect(() => parseLogOptions(new URLSearchParams(`sinceTime=${'y'.repeat(5000)}`), now)).toThrow(/"y{64}…" \(5000 characters\)/);
  });
});

describe('names in kubelet API paths', () => {
  it('reads namespace, pod and container, decoded', () => {
    expect(parseLogTarget('/containerLogs/kube-system/coredns-5d78c9869d-abcde/coredns')).toEqual({ namespace: 'kube-system', pod: 'coredns-5d78c9869d-abcde', container: 'coredns' });
    expect(parseLogTarget('/containerLogs/default/web.v2/main').pod).toBe('web.v2');
  });
  it.each([
    ['a pod name with an encoded ../', '/containerLogs/default/..%2F..%2Fetc/c', /pod "\.\.\/\.\.\/etc" is not a DNS-1123 subdomain/],
    ['a container name of ..', '/containerLogs/default/p/..', /container "\.\." is not a DNS-1123 label/],
    ['a NUL', '/containerLogs/default/p/c%00', /container "c\\u0000"/],
    ['a malformed escape', '/containerLogs/default/p/%E0%A4%A', /is not valid percent-encoding/],
    ['an upper-case namespace', '/containerLogs/Default/p/c', /namespace "Default" is not a DNS-1123 label/],
    ['a 64-character container name', `/containerLogs/default/p/${'c'.repeat(64)}`, /container "c{64}" is not a DNS-1123 label/],
    ['a missing part', '/containerLogs/default/p', /containerLogs takes/],
  ])('refuses %s', (_name, path, message) => {
    expect(() => parseLogTarget(path)).toThrow(message);
  });
  it('refuses the same names in exec, attach, portForward and run', () => {
    const parse = (path: string): unknown => parseStreamRequest(new URL(path, 'https://kubelet'));
    expect(() => parse('/exec/default/p%2F..%2Fq/c?command=ls&output=1')).toThrow(/pod "p\/\.\.\/q"/);
    expect(() => parse('/attach/default/p/c%2Fd?output=1')).toThrow(/container "c\/d"/);
    expect(() => parse('/portForward/default/p/a%2Fb?port=80')).toThrow(/uid "a\/b"/);
    expect(() => parseRunRequest(new URL('https://kubelet/run/default/p/..%2Fc?cmd=id'))).toThrow(/container "\.\.\/c"/);
  });
  it('reads /run as upstream: one cmd split at spaces', () => {
    expect(parseRunRequest(new URL('https://kubelet/run/default/p/uid-1/c?cmd=ls%20-l%20%20/tmp'))).toEqual({
      namespace: 'default',
      pod: 'p',
      uid: 'uid-1',
      container: 'c',
      command: ['ls', '-l', '/tmp'],
    });
    expect(() => parseRunRequest(new URL('https://kubelet/run/default/p/c'))).toThrow(/needs a command/);
  });
});

describe('CRI log files', () => {
  const file = [
    '2026-12-04T11:00:00.000000000Z stdout F first',
    '2026-12-04T11:30:00.000000000Z stdout P par',
    '2026-12-04T11:30:00.100000000Z stdout F tial line',
    '2026-12-04T11:59:00.000000000Z stderr F last words',
    '2026-12-04T11:59:30.000000000Z stdout F not yet ended',
  ].join('\n');
  it('joins partial lines and keeps an unfinished last line back', () => {
    const { lines, rest } = parseCriLog(file);
    expect(lines.map((l) => l.text)).toEqual(['first', 'partial line', 'last words']);
    expect(rest).toBe('2026-12-04T11:59:30.000000000Z stdout F not yet ended');
  });
  // Found by the upstream spec "Projected combined ... projection API": `cat` of files with no
  // newline leaves only P records, and the whole output was dropped.
  it('keeps output that ended without a newline: joined, unterminated, and parsed again by a later read', () => {
    const ended = ['2026-12-04T12:00:00.000000000Z stdout F whole', '2026-12-04T12:00:01.000000000Z stdout P pod-a', '2026-12-04T12:00:02.000000000Z stdout P secret-1', ''].join('\n');
    const { lines, rest, unterminated } = parseCriLog(ended);
    expect(lines.map((l) => l.text)).toEqual(['whole']);
    expect(unterminated).toEqual({ time: '2026-12-04T12:00:01.000000000Z', text: 'pod-asecret-1', unterminated: true });
    const later = parseCriLog(`${rest}2026-12-04T12:00:03.000000000Z stdout F -end\n`);
    expect(later.lines.map((l) => l.text)).toEqual(['pod-asecret-1-end']);
    expect(later.unterminated).toBeUndefined();
  });

  it('prints times the way upstream does: UTC with Z, no trailing zeros', () => {
    expect(rfc3339Nano('2026-12-04T15:54:02.157141710+00:00')).toBe('2026-12-04T15:54:02.15714171Z');
    expect(rfc3339Nano('2026-12-04T15:54:02.000000000Z')).toBe('2026-12-04T15:54:02Z');
    expect(rfc3339Nano('2026-12-04T17:54:02.500+02:00')).toBe('2026-12-04T15:54:02.5Z');
  });

  it('applies since and tail', () => {
    const { lines } = parseCriLog(`${file}\n`);
    const options = { follow: false, previous: false, timestamps: false, limitBytes: undefined };
    expect(selectLines(lines, { ...options, tailLines: 2, sinceMs: undefined }).map((l) => l.text)).toEqual(['last words', 'not yet ended']);
    expect(selectLines(lines, { ...options, tailLines: undefined, sinceMs: Date.parse('2026-12-04T11:45:00Z') }).map((l) => l.text)).toEqual(['last words', 'not yet ended']);
    expect(selectLines(lines, { ...options, tailLines: 0, sinceMs: undefined })).toEqual([]);
  });
});

describe('streaming requests on the kubelet API', () => {
  const parse = (path: string): ReturnType<typeof parseStreamRequest> => parseStreamRequest(new URL(path, 'https://kubelet'));

  it('reads exec the way the API server asks for it', () => {
    expect(parse('/exec/default/web/main?command=sh&command=-c&command=echo%20hi&input=1&output=1&error=1')).toEqual({
      kind: 'exec',
      namespace: 'default',
      pod: 'web',
      uid: undefined,
      container: 'main',
      command: ['sh', '-c', 'echo hi'],
      stdin: true,
      stdout: true,
      stderr: true,
      tty: false,
    });
    // A terminal merges stderr into stdout: the flag is dropped, not refused.
    expect(parse('/exec/ns/p/0a1b/c?command=sh&output=1&error=1&tty=1')).toMatchObject({ uid: '0a1b', container: 'c', stderr: false, tty: true });
    expect(parse('/attach/ns/p/c?output=true')).toMatchObject({ kind: 'attach', container: 'c', stdout: true, stdin: false });
    expect(parse('/portForward/ns/p?port=80&port=8080,9090')).toEqual({ kind: 'portForward', namespace: 'ns', pod: 'p', uid: undefined, ports: [80, 8080, 9090] });
    expect(parse('/portForward/ns/p/uid-1')).toMatchObject({ uid: 'uid-1', ports: [] });
    expect(parse('/containerLogs/ns/p/c')).toBeUndefined();
  });

  it('refuses requests that cannot be served, with the reason', () => {
    expect(() => parse('/exec/ns/p/c?output=1')).toThrow(/needs a command/);
    expect(() => parse('/exec/ns/p/c?command=ls')).toThrow(/at least one of the input, output and error/);
    expect(() => parse('/exec/ns/p')).toThrow(/exec takes/);
    expect(() => parse('/exec/ns/p/u/c/extra?command=ls&output=1')).toThrow(/exec takes/);
    expect(() => parse('/portForward/ns/p?port=0')).toThrow(/not a port number/);
    expect(() => parse('/portForward/ns/p?port=http')).toThrow(/not a port number/);
    expect(() => parse('/portForward/ns')).toThrow(/portForward takes/);
  });

  it('replays the upgrade to the runtime without the caller credentials', () => {
    const head = replayedRequestHead(
      'POST',
      [
        'Host',
        'node:10250',
        'Authorization',
        'Bearer secret',
        'Connection',
        'Upgrade',
        'Upgrade',
        'SPDY/3.1',
        'X-Stream-Protocol-Version',
        'v4.channel.k8s.io',
        'X-Stream-Protocol-Version',
        'v5.channel.k8s.io',
      ],
      new URL('http://127.0.0.1:4567/exec/tok3n'),
    );
    expect(head).toBe(
      'POST /exec/tok3n HTTP/1.1\r\nHost: 127.0.0.1:4567\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\nX-Stream-Protocol-Version: v5.channel.k8s.io\r\n\r\n',
    );
  });
});

describe('streaming targets', () => {
  const labels = (pod: string, container?: string): Record<string, string> => ({
    'io.kubernetes.pod.namespace': 'default',
    'io.kubernetes.pod.name': pod,
    'io.kubernetes.pod.uid': `uid-${pod}`,
    ...(container ? { 'io.kubernetes.container.name': container } : {}),
  });

  async function started(cri: RecordingCri, pod: string, container: string): Promise<{ sandbox: string; container: string }> {
    const port = cri.port();
    const sandbox = (await port.runPodSandbox({ metadata: { name: pod, namespace: 'default', uid: `uid-${pod}` }, labels: labels(pod) })).podSandboxId;
    const id = (await port.createContainer(sandbox, { metadata: { name: container }, labels: labels(pod, container) }, {})).containerId;
    await port.startContainer(id);
    return { sandbox, container: id };
  }

  it('asks the runtime for the running container and the ready sandbox of the pod', async () => {
    const cri = new RecordingCri();
    const { sandbox, container } = await started(cri, 'web', 'main');
    const exec = await streamingUrl(cri.port(), {
      kind: 'exec',
      namespace: 'default',
      pod: 'web',
      uid: undefined,
      container: 'main',
      command: ['ls'],
      stdin: false,
      stdout: true,
      stderr: true,
      tty: false,
    });
    expect(exec.href).toBe(`http://127.0.0.1:1/exec/${container}`);
    const forward = await streamingUrl(cri.port(), { kind: 'portForward', namespace: 'default', pod: 'web', uid: 'uid-web', ports: [80] });
    expect(forward.href).toBe(`http://127.0.0.1:1/portforward/${sandbox}`);
    expect(cri.calls).toContain('exec main ls');
    expect(cri.calls).toContain(`portForward ${sandbox} 80`);
  });

  it('tells a missing container from a stopped one, and a pod of another uid from this one', async () => {
    const cri = new RecordingCri();
    await started(cri, 'web', 'main');
    const base = { kind: 'exec' as const, namespace: 'default', pod: 'web', command: ['ls'], stdin: false, stdout: true, stderr: false, tty: false };
    await expect(streamingUrl(cri.port(), { ...base, uid: undefined, container: 'nope' })).rejects.toThrow(NotFoundError);
    await expect(streamingUrl(cri.port(), { ...base, uid: 'uid-other', container: 'main' })).rejects.toThrow(/not found on this node/);
    cri.exit('main', 1);
    await expect(streamingUrl(cri.port(), { ...base, uid: undefined, container: 'main' })).rejects.toThrow(/is not running/);
  });
});
