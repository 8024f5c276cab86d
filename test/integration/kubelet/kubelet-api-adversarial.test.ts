// The kubelet API against hostile callers, one table row per request: berth's kubelet API server
// (kubelet/server, in this process) in front of a real berth runtime (from dist/), called over TLS
// with real certificates minted by openssl. An authorizer stands in for the API server's
// SubjectAccessReview with a fixed policy (system:masters may do anything, stats-reader may read
// nodes/stats and nodes/metrics, nobody may do nothing); the e2e kubelet suite checks the real
// one. Anonymous, wrong-CA, expired and server-only certificates and unknown tokens get 401 on
// every path, authenticated callers without the right 403; names that climb out of a path or
// carry separators get 400 (404 where URL normalisation already took the ".." away), log files
// outside the pod log directory are never read, and absurd query values and a 1 MB URL get a
// clear 400/414 with the server still answering after. A second server, run with no
// --client-ca-file in a process whose root store trusts the client CA (NODE_EXTRA_CA_CERTS, as a
// public CA would be), proves that without a client CA no certificate authenticates anyone.
import { execa } from 'execa';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Counter, Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createLogger } from '../../../common/logger.js';
import { packageRoot } from '../../../common/package-root.js';
import type { PodSandboxConfig } from '../../../api/cri/messages.js';
import { CriClient } from '../../../cri/client/cri-client.js';
import type { ReviewApi, UserInfo } from '../../../kubelet/api-port.js';
import { containerNameLabel, podNameLabel, podNamespaceLabel, podUidLabel } from '../../../kubelet/cri-port.js';
import { startKubeletServer, type KubeletServer } from '../../../kubelet/server/kubelet-server.js';
import { selfSignedServingCert } from '../../../kubelet/server/serving-cert.js';
import { startBerth, type Berth } from '../../harness/berth.js';
import { removeTestCgroupParents } from '../../harness/cgroups.js';
import { cniTestNetwork, type CniTestNetwork } from '../../harness/cni-network.js';
import { eventually } from '../../harness/eventually.js';
import { callKubeletApi as send, kubeletApiPaths, type Answer, type Call, type Caller } from '../../harness/kubelet-api-client.js';
import { createTestCa } from '../../harness/test-ca.js';

const registry = inject('registryHost');
const image = `${registry}/busybox:latest`;
const nodeName = 'adversarial-node';
const work = mkdtempSync(join(tmpdir(), 'berth-kubelet-api-'));
const podLogsDir = join(work, 'pods');

const callers: Record<string, Caller> = {};
const tokens: Record<string, UserInfo> = {
  'admin-token': { username: 'token-admin', groups: ['system:masters', 'system:authenticated'] },
  'nobody-token': { username: 'token-nobody', groups: ['system:authenticated'] },
};

const reviews: ReviewApi = {
  reviewToken: async (token) => tokens[token],
  reviewAccess: async ({ user, verb, subresource }) => {
    if (user.groups.includes('system:masters')) return { allowed: true, reason: '' };
    if (user.username === 'stats-reader' && verb === 'get' && (subresource === 'stats' || subresource === 'metrics')) return { allowed: true, reason: '' };
    return { allowed: false, reason: `no rule lets ${user.username} ${verb} nodes/${subresource}` };
  },
};

let berth: Berth | undefined;
let network: CniTestNetwork | undefined;
let cri: CriClient | undefined;
let server: KubeletServer | undefined;
let noCaServer: ReturnType<typeof startNoCaProcess> | undefined;
let noCaAddress = '';
const sandboxes: string[] = [];

/** A pod of one container `main` with the kubelet's labels, its logs in `logDirectory`. */
async function runPod(client: CriClient, name: string, logDirectory: string, script: string): Promise<void> {
  const labels = { [podNamespaceLabel]: 'default', [podNameLabel]: name, [podUidLabel]: `uid-${name}` };
  const config: PodSandboxConfig = { metadata: { name, namespace: 'default', uid: `uid-${name}`, attempt: 0 }, logDirectory, labels, linux: {} };
  const podId = (await client.runPodSandbox(config)).podSandboxId;
  sandboxes.push(podId);
  const { containerId } = await client.createContainer(
    podId,
    { metadata: { name: 'main' }, image: { image }, command: ['sh', '-c', script], logPath: 'main/0.log', labels: { ...labels, [containerNameLabel]: 'main' } },
    config,
  );
  await client.startContainer(containerId);
}

const startNoCaProcess = (script: string, clientCa: string) => execa(process.execPath, [script], { env: { NODE_EXTRA_CA_CERTS: clientCa }, reject: false });

/** The no-CA server in a process of its own: NODE_EXTRA_CA_CERTS is read once, at start. */
async function startNoCaServer(clientCa: string, cert: { certFile: string; keyFile: string }): Promise<void> {
  const dist = (path: string): string => pathToFileURL(join(packageRoot(), 'dist', path)).href;
  const script = join(work, 'no-ca-server.mjs');
  writeFileSync(
    script,
    [
      `import { startKubeletServer } from ${JSON.stringify(dist('kubelet/server/kubelet-server.js'))};`,
      `import { createLogger } from ${JSON.stringify(dist('common/logger.js'))};`,
      // Any user it authenticates may do anything: authentication is the only gate under test.
      `const tokens = ${JSON.stringify(tokens)};`,
      'const reviews = { reviewToken: async (t) => tokens[t], reviewAccess: async () => ({ allowed: true, reason: "" }) };',
      `const server = await startKubeletServer({ listen: '127.0.0.1:0', nodeName: 'no-ca', cert: ${JSON.stringify(cert)}, clientCaFile: undefined,`,
      `  podLogsDir: ${JSON.stringify(podLogsDir)}, cri: {}, reviews, pods: () => [], logger: createLogger('warn') });`,
      'console.log(server.address);',
      '',
    ].join('\n'),
  );
  noCaServer = startNoCaProcess(script, clientCa);
  noCaAddress = await new Promise<string>((resolve, reject) => {
    noCaServer?.stdout?.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()));
    void noCaServer?.then((result) => reject(new Error(`the no-CA server exited: ${String(result.stderr)}`)));
  });
}

beforeAll(async () => {
  const pki = join(work, 'pki');
  const clientCa = await createTestCa(pki, 'client-ca');
  const rogueCa = await createTestCa(pki, 'rogue-ca');
  callers['admin cert'] = { cert: await clientCa.issue('admin', '/O=system:masters/CN=kubelet-admin') };
  callers['stats-reader cert'] = { cert: await clientCa.issue('stats-reader', '/CN=stats-reader') };
  callers['nobody cert'] = { cert: await clientCa.issue('nobody', '/CN=nobody') };
  callers['wrong-CA cert'] = { cert: await rogueCa.issue('admin', '/O=system:masters/CN=kubelet-admin') };
  callers['expired cert'] = {
    cert: await clientCa.issue('expired', '/O=system:masters/CN=kubelet-admin', { window: { start: '20200101000000Z', end: '20200102000000Z' } }),
  };
  callers['server-only cert'] = { cert: await clientCa.issue('serving', '/O=system:masters/CN=kubelet-admin', { usage: 'serverAuth' }) };
  callers['anonymous'] = {};
  callers['unknown token'] = { token: 'not-a-token' };
  callers['nobody token'] = { token: 'nobody-token' };
  callers['admin token'] = { token: 'admin-token' };
  // A valid token does not make a rejected certificate count: the token alone decides.
  callers['wrong-CA cert + nobody token'] = { ...callers['wrong-CA cert'], token: 'nobody-token' };

  network = cniTestNetwork('kubelet-api', 158);
  berth = await startBerth({ args: ['--insecure-registry', registry, '--cni-conf-dir', network.confDir], logLevel: 'info' });
  const client = new CriClient({ endpoint: berth.socket });
  cri = client;
  await client.pullImage(image);
  await runPod(client, 'talker', join(podLogsDir, 'default_talker_uid-talker'), 'echo talker-line-1; echo talker-line-2; exec sleep 600');
  // Containers any CRI client could make with the kubelet's labels: logs outside the pod log
  // directory, plainly or through a symbolic link inside it.
  await runPod(client, 'hostile', join(work, 'outside'), 'echo hostile-line; exec sleep 600');
  mkdirSync(join(work, 'outside-linked'));
  mkdirSync(podLogsDir, { recursive: true });
  symlinkSync(join(work, 'outside-linked'), join(podLogsDir, 'default_linked_uid-linked'));
  await runPod(client, 'linked', join(podLogsDir, 'default_linked_uid-linked'), 'echo linked-line; exec sleep 600');
  await eventually(async () => (readFileSync(join(podLogsDir, 'default_talker_uid-talker/main/0.log'), 'utf8').includes('talker-line-2') ? true : undefined));

  const cert = await selfSignedServingCert(join(work, 'serving'), nodeName, '127.0.0.1');
  const metrics = new Registry();
  new Counter({ name: 'kubelet_adversarial_test_total', help: 'present so /metrics has a family', registers: [metrics] }).inc();
  server = await startKubeletServer({
    listen: '127.0.0.1:0',
    nodeName,
    cert,
    clientCaFile: clientCa.cert,
    podLogsDir,
    cri: client,
    reviews,
    pods: () => [],
    metrics,
    probeMetrics: new Registry(),
    logger: createLogger('warn'),
  });
  await startNoCaServer(clientCa.cert, cert);
});

afterAll(async () => {
  noCaServer?.kill('SIGTERM');
  await server?.close();
  for (const id of sandboxes) {
    await cri?.stopPodSandbox(id).catch(() => undefined);
    await cri?.removePodSandbox(id).catch(() => undefined);
  }
  cri?.close();
  await berth?.stop();
  await network?.remove();
  removeTestCgroupParents('berth');
  rmSync(work, { recursive: true, force: true });
});

/** Every path of the kubelet API, on the pod that logs and sleeps. */
const paths = kubeletApiPaths('default', 'talker', 'main');

interface Row {
  name: string;
  caller: string;
  call: Call;
  status: number;
  /** What the answer must say (a refusal names its reason). */
  body?: RegExp | undefined;
  /** The main server, or the one with no --client-ca-file. */
  server?: 'no-ca';
}

const refusedCallers: [string, number, RegExp][] = [
  ['anonymous', 401, /^Unauthorized: no valid client certificate .* and no bearer token/],
  ['wrong-CA cert', 401, /^Unauthorized/],
  ['expired cert', 401, /^Unauthorized/],
  ['server-only cert', 401, /^Unauthorized/],
  ['unknown token', 401, /^Unauthorized: the bearer token was not accepted/],
  ['nobody cert', 403, /^Forbidden \(user=nobody, verb=(get|create), resource=nodes, subresource=\w+\): no rule lets nobody/],
  ['nobody token', 403, /^Forbidden \(user=token-nobody/],
  ['wrong-CA cert + nobody token', 403, /^Forbidden \(user=token-nobody/],
];

const allowed: Record<string, [number, RegExp]> = {
  '/pods': [200, /"kind":"PodList"/],
  '/healthz': [200, /^ok$/m],
  '/metrics': [200, /kubelet_adversarial_test_total 1/],
  '/metrics/cadvisor': [200, /container_cpu_usage_seconds_total/],
  '/metrics/resource': [200, /node_cpu_usage_seconds_total/],
  '/metrics/probes': [200, /.*/],
  '/stats/summary': [200, /"nodeName":"adversarial-node"/],
  '/containerLogs': [200, /^talker-line-1\ntalker-line-2\n$/],
  '/run': [200, /^ran-in-main\n$/],
  '/exec': [101, /^$/],
  '/attach': [101, /^$/],
  '/portForward': [101, /^$/],
};

const logs = (rest: string): Call => ({ path: `/containerLogs/${rest}` });
const mega = 'a'.repeat(1_000_000);

const rows: Row[] = [
  // Every path, every caller that must be refused.
  ...refusedCallers.flatMap(([caller, status, body]) => Object.entries(paths).map(([name, call]) => ({ name: `${caller} on ${name}`, caller, call, status, body }))),
  // The same paths answered to callers allowed them: the refusals above are not the only answer.
  ...Object.entries(paths).map(([name, call]) => ({ name: `admin cert on ${name}`, caller: 'admin cert', call, status: allowed[name]?.[0] ?? 0, body: allowed[name]?.[1] })),
  { name: 'admin token on /pods', caller: 'admin token', call: paths['/pods'] as Call, status: 200 },
  // Authorization per subresource: stats and metrics yes, the rest no.
  { name: 'stats-reader on /stats/summary', caller: 'stats-reader cert', call: paths['/stats/summary'] as Call, status: 200 },
  { name: 'stats-reader on /metrics/resource', caller: 'stats-reader cert', call: paths['/metrics/resource'] as Call, status: 200 },
  { name: 'stats-reader on /containerLogs', caller: 'stats-reader cert', call: paths['/containerLogs'] as Call, status: 403, body: /subresource=proxy/ },
  { name: 'stats-reader on /exec', caller: 'stats-reader cert', call: paths['/exec'] as Call, status: 403, body: /verb=create, resource=nodes, subresource=proxy/ },
  { name: 'stats-reader on /pods', caller: 'stats-reader cert', call: paths['/pods'] as Call, status: 403 },
  { name: 'stats-reader POST /stats/summary', caller: 'stats-reader cert', call: { method: 'POST', path: '/stats/summary' }, status: 403, body: /verb=create/ },
  // Path traversal in containerLogs and the other named paths (as an allowed caller).
  { name: 'logs: ../ segments (normalised away: /etc/passwd)', caller: 'admin cert', call: logs('default/../../../etc/passwd'), status: 404, body: /404 page not found: \/etc\/passwd/ },
  { name: 'logs: %2e%2e segments (normalised the same way)', caller: 'admin cert', call: logs('%2e%2e/%2e%2e/%2E%2E/etc/passwd'), status: 404, body: /404 page not found: \/etc\/passwd/ },
  {
    name: 'logs: ../ inside a name, slashes encoded',
    caller: 'admin cert',
    call: logs('default/talker/..%2F..%2F..%2Fetc%2Fpasswd'),
    status: 400,
    body: /container "\.\.\/\.\.\/\.\.\/etc\/passwd" is not a DNS-1123 label/,
  },
  {
    name: 'logs: slashes encoded in the pod name',
    caller: 'admin cert',
    call: logs('default/talker%2F..%2F..%2Fetc/main'),
    status: 400,
    body: /pod "talker\/\.\.\/\.\.\/etc" is not a DNS-1123 subdomain/,
  },
  { name: 'logs: .. as the namespace, encoded once more', caller: 'admin cert', call: logs('%252e%252e/talker/main'), status: 400, body: /namespace "%2e%2e" is not a DNS-1123 label/ },
  { name: 'logs: backslashes in a name', caller: 'admin cert', call: logs('default/..%5C..%5Cetc/main'), status: 400, body: /pod "\.\.\\\\\.\.\\\\etc"/ },
  { name: 'logs: a NUL in the container name', caller: 'admin cert', call: logs('default/talker/main%00.log'), status: 400, body: /container "main\\u0000\.log"/ },
  { name: 'logs: a malformed escape', caller: 'admin cert', call: logs('default/talker/%zz'), status: 400, body: /"%zz" is not valid percent-encoding/ },
  { name: 'logs: an extra segment', caller: 'admin cert', call: logs('default/talker/main/0.log'), status: 400, body: /takes \/containerLogs\/\{namespace\}\/\{pod\}\/\{container\}/ },
  { name: 'logs: a log directory outside the pod log dir', caller: 'admin cert', call: logs('default/hostile/main'), status: 404, body: /is not under the node's pod log directory/ },
  { name: 'logs: a symlink in the pod log dir to outside it', caller: 'admin cert', call: logs('default/linked/main'), status: 404, body: /is not under the node's pod log directory/ },
  {
    name: 'exec: a pod name climbing out',
    caller: 'admin cert',
    call: { method: 'POST', path: '/exec/default/..%2F..%2Fetc/main?command=cat&output=1', upgrade: true },
    status: 400,
    body: /pod "\.\.\/\.\.\/etc"/,
  },
  {
    name: 'attach: a container name with a slash',
    caller: 'admin cert',
    call: { method: 'POST', path: '/attach/default/talker/a%2Fb?output=1', upgrade: true },
    status: 400,
    body: /container "a\/b"/,
  },
  { name: 'portForward: a NUL in the uid', caller: 'admin cert', call: { method: 'POST', path: '/portForward/default/talker/uid%00?port=80', upgrade: true }, status: 400, body: /uid "uid\\u0000"/ },
  { name: 'run: a container name climbing out', caller: 'admin cert', call: { method: 'POST', path: '/run/default/talker/..%2Fmain?cmd=id' }, status: 400, body: /container "\.\.\/main"/ },
  { name: 'run: GET is not allowed', caller: 'admin cert', call: { path: '/run/default/talker/main?cmd=id' }, status: 405, body: /not allowed on \/run\/default\/talker\/main \(POST\)/ },
  // Absurd and oversized query values.
  { name: 'tailLines past 2^53', caller: 'admin cert', call: logs('default/talker/main?tailLines=99999999999999999999999'), status: 400, body: /tailLines="99999999999999999999999" is out of range/ },
  { name: 'tailLines negative', caller: 'admin cert', call: logs('default/talker/main?tailLines=-5'), status: 400, body: /tailLines="-5" must be a non-negative integer/ },
  { name: 'sinceSeconds in exponent notation', caller: 'admin cert', call: logs('default/talker/main?sinceSeconds=1e400'), status: 400, body: /sinceSeconds="1e400" must be a non-negative integer/ },
  {
    name: 'sinceSeconds with 400 digits',
    caller: 'admin cert',
    call: logs(`default/talker/main?sinceSeconds=${'9'.repeat(400)}`),
    status: 400,
    body: /sinceSeconds="9{64}…" \(400 characters\) is out of range/,
  },
  { name: 'sinceSeconds zero', caller: 'admin cert', call: logs('default/talker/main?sinceSeconds=0'), status: 400, body: /sinceSeconds must be greater than 0/ },
  { name: 'limitBytes past 2^53', caller: 'admin cert', call: logs('default/talker/main?limitBytes=18446744073709551616'), status: 400, body: /limitBytes="18446744073709551616" is out of range/ },
  {
    name: 'sinceTime of 100 KB',
    caller: 'admin cert',
    call: logs(`default/talker/main?sinceTime=${'x'.repeat(100_000)}`),
    status: 400,
    body: /sinceTime="x{64}…" \(100000 characters\) is not an RFC 3339 time/,
  },
  {
    name: 'a port past 65535',
    caller: 'admin cert',
    call: { method: 'POST', path: '/portForward/default/talker?port=99999999999', upgrade: true },
    status: 400,
    body: /port "99999999999" is not a port number/,
  },
  { name: 'a 1 MB query string on containerLogs', caller: 'admin cert', call: logs(`default/talker/main?tailLines=1&pad=${mega}`), status: 414, body: /URI Too Long: 1000\d{3} bytes, at most 262144/ },
  { name: 'a 1 MB query string on exec', caller: 'admin cert', call: { method: 'POST', path: `/exec/default/talker/main?output=1&command=${mega}`, upgrade: true }, status: 414, body: /URI Too Long/ },
  { name: 'a 1 MB query string, anonymous', caller: 'anonymous', call: { path: `/pods?pad=${mega}` }, status: 414, body: /URI Too Long/ },
  { name: 'a 2 MB header', caller: 'admin cert', call: { path: '/pods', headers: { 'x-pad': 'a'.repeat(2_000_000) } }, status: 431, body: /request line and headers exceed 1048576 bytes/ },
  // No --client-ca-file: a certificate the process's root store trusts names nobody; tokens still work.
  {
    name: 'no client CA: admin cert on /healthz',
    caller: 'admin cert',
    call: paths['/healthz'] as Call,
    status: 401,
    body: /client certificates are not accepted: the kubelet has no --client-ca-file/,
    server: 'no-ca',
  },
  { name: 'no client CA: admin cert on /pods', caller: 'admin cert', call: paths['/pods'] as Call, status: 401, server: 'no-ca' },
  { name: 'no client CA: admin token on /pods', caller: 'admin token', call: paths['/pods'] as Call, status: 200, server: 'no-ca' },
];

describe('kubelet API refusals (real TLS, real certificates, a real berth runtime)', () => {
  it.each(rows)('$name → $status', async (row) => {
    const caller = callers[row.caller];
    if (!caller) throw new Error(`no caller ${row.caller}`);
    const answer = await send(row.server === 'no-ca' ? noCaAddress : (server?.address ?? ''), row.call, caller);
    expect({ status: answer.status, body: answer.body.slice(0, 300) }).toMatchObject({ status: row.status });
    if (row.body) expect(answer.body).toMatch(row.body);
    // Whatever the request, nothing outside the pod log directory is ever sent back.
    expect(answer.body).not.toMatch(/hostile-line|linked-line|root:x:0:0/);
  });

  // The API server's Go client speaks HTTP/2 when the kubelet offers it, and its WebSocket copy of
  // pods/log depends on that (kubelet-server.ts says why): a log read and a refusal over h2.
  it('speaks HTTP/2 to a client that offers h2, with the same logs and the same refusals', async () => {
    const h2 = async (caller: Caller, path: string): Promise<Answer & { protocol: string | undefined }> => {
      const session = connect(`https://${server?.address ?? ''}`, {
        rejectUnauthorized: false,
        ...(caller.cert ? { cert: readFileSync(caller.cert.cert), key: readFileSync(caller.cert.key) } : {}),
      });
      try {
        const stream = session.request({ ':path': path });
        const status = await new Promise<number>((resolve, reject) => {
          stream.once('response', (headers) => resolve(Number(headers[':status'])));
          stream.once('error', reject);
        });
        let body = '';
        for await (const chunk of stream) body += String(chunk);
        return { status, body, protocol: session.alpnProtocol };
      } finally {
        session.close();
      }
    };
    const admin = callers['admin cert'] as Caller;
    expect(await h2(admin, '/containerLogs/default/talker/main')).toEqual({ status: 200, body: 'talker-line-1\ntalker-line-2\n', protocol: 'h2' });
    const refused = await h2(callers['nobody cert'] as Caller, '/containerLogs/default/talker/main');
    expect(refused.status).toBe(403);
    expect(refused.body).toMatch(/user=nobody/);
  });

  it('still answers after every refusal, and the runtime still runs the pods', async () => {
    expect(await send(server?.address ?? '', paths['/healthz'] as Call, callers['admin cert'] as Caller)).toEqual({ status: 200, body: 'ok\n' });
    const running = (await cri?.listContainers({ state: { state: 'CONTAINER_RUNNING' } }))?.containers ?? [];
    expect(running.length).toBe(3);
  });
});
