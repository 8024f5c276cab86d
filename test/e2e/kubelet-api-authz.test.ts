// The kubelet API's authorization with the real API server deciding: berth's kubelet API server
// (in this process) asks the cluster fixture's kube-apiserver about every caller (TokenReview,
// SubjectAccessReview) with a node's own credentials, as a joined kubelet does. A certificate from
// the cluster CA for a user no RBAC rule names, and a service account token with no rights on
// nodes, are refused with 403 on every path; a token the API server does not know and a caller
// with nothing are 401; the API server's own kubelet client certificate is let through. The
// integration tier (kubelet-api-adversarial) covers the same paths with a fixed-policy authorizer,
// plus certificates and hostile requests.
import { execa } from 'execa';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { UnavailableError } from '../../common/errors.js';
import { createLogger } from '../../common/logger.js';
import { packageRoot } from '../../common/package-root.js';
import type { CriPort } from '../../kubelet/cri-port.js';
import { KubeApi } from '../../kubelet/kube-api.js';
import { startKubeletServer, type KubeletServer } from '../../kubelet/server/kubelet-server.js';
import { selfSignedServingCert } from '../../kubelet/server/serving-cert.js';
import { eventually } from '../harness/eventually.js';
import { nodeKubeconfig } from '../harness/node-credentials.js';
import { callKubeletApi, kubeletApiPaths, type Call, type Caller } from '../harness/kubelet-api-client.js';
import { issuingCa } from '../harness/test-ca.js';
import { clusterPkiDir, goTool } from '../harness/tools.js';

const nodeName = `berth-kubelet-api-authz-${process.pid}`;
const work = mkdtempSync(join(tmpdir(), 'berth-kubelet-api-authz-'));

async function kubectl(...args: string[]): Promise<string> {
  return (await execa(goTool('kubectl'), ['--kubeconfig', inject('adminKubeconfig'), ...args], { timeout: 60_000 })).stdout;
}

// Only refusals and runtime-free pages are asked for: a call reaching the runtime is a test failure.
const noRuntime = new Proxy(
  {},
  {
    get: () => async () => {
      throw new UnavailableError('this test has no container runtime');
    },
  },
) as CriPort;

const callers: Record<string, Caller> = {};
let server: KubeletServer | undefined;

beforeAll(async () => {
  const pki = clusterPkiDir();
  const clusterCa = issuingCa(work, 'cluster-ca', { cert: join(pki, 'ca.crt'), key: join(pki, 'ca.key') });
  callers['cluster-CA cert of a user with no rules'] = { cert: await clusterCa.issue('nobody', `/CN=berth-nobody-${process.pid}`) };
  callers['API server kubelet client cert'] = { cert: { cert: join(pki, 'apiserver-kubelet-client.crt'), key: join(pki, 'apiserver-kubelet-client.key') } };
  callers['anonymous'] = {};
  callers['unknown token'] = { token: 'not-a-token' };
  // The controller-manager makes the default service account shortly after the cluster starts.
  callers['service account token'] = { token: await eventually(() => kubectl('create', 'token', 'default', '-n', 'default')) };

  // The kubelet asks the API server about its callers with the node's credentials (TokenReview, SubjectAccessReview).
  await kubectl('apply', '-f', join(packageRoot(), 'manifests/rbac/berth-node.yaml'));
  const reviews = KubeApi.fromFile(await nodeKubeconfig(work, nodeName, inject('apiServer')));
  server = await startKubeletServer({
    listen: '127.0.0.1:0',
    nodeName,
    cert: await selfSignedServingCert(join(work, 'serving'), nodeName, '127.0.0.1'),
    clientCaFile: join(pki, 'ca.crt'),
    podLogsDir: join(work, 'pods'),
    cri: noRuntime,
    reviews,
    pods: () => [],
    logger: createLogger('warn'),
  });
});

afterAll(async () => {
  await server?.close();
  rmSync(work, { recursive: true, force: true });
});

const paths = kubeletApiPaths('default', 'p', 'c');

const refused: [string, number, RegExp][] = [
  ['cluster-CA cert of a user with no rules', 403, /^Forbidden \(user=berth-nobody-\d+, verb=(get|create), resource=nodes, subresource=(proxy|metrics|stats)\)/],
  ['service account token', 403, /^Forbidden \(user=system:serviceaccount:default:default/],
  ['unknown token', 401, /^Unauthorized: the bearer token was not accepted by the API server/],
  ['anonymous', 401, /^Unauthorized: no valid client certificate/],
];

const rows = [
  ...refused.flatMap(([caller, status, body]) => Object.entries(paths).map(([name, call]) => ({ name: `${caller} on ${name}`, caller, call, status, body }))),
  { name: 'API server kubelet client cert on /healthz', caller: 'API server kubelet client cert', call: paths['/healthz'] as Call, status: 200, body: /^ok$/m },
  { name: 'API server kubelet client cert on /pods', caller: 'API server kubelet client cert', call: paths['/pods'] as Call, status: 200, body: /"kind":"PodList"/ },
];

describe('kubelet API authorization by the real API server (e2e)', () => {
  it.each(rows)('$name → $status', async (row) => {
    const answer = await callKubeletApi(server?.address ?? '', row.call, callers[row.caller] ?? {});
    expect({ status: answer.status, body: answer.body.slice(0, 300) }).toMatchObject({ status: row.status });
    expect(answer.body).toMatch(row.body);
  });
});
