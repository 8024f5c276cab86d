import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FailedPreconditionError } from '../../../../common/errors.js';
import { bootstrapFromKubeconfig } from '../../../../kubelet/bootstrap/bootstrap-kubeconfig.js';
import { nodeCredentialPaths } from '../../../../kubelet/bootstrap/node-credentials.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('bootstrapFromKubeconfig', () => {
  it("says which files are missing, in the kubelet's flags, when neither a bootstrap kubeconfig nor credentials of the node exist", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-bootstrap-'));
    dirs.push(dir);
    const attempt = bootstrapFromKubeconfig({ bootstrapKubeconfig: join(dir, 'bootstrap-kubelet.conf'), paths: nodeCredentialPaths(dir), nodeName: 'node-a', timeoutMs: 1_000, log: () => undefined });
    await expect(attempt).rejects.toBeInstanceOf(FailedPreconditionError);
    await expect(attempt).rejects.toThrow(`--bootstrap-kubeconfig ${join(dir, 'bootstrap-kubelet.conf')} does not exist and ${join(dir, 'kubeconfig')} holds no valid credentials of this node`);
    await expect(attempt).rejects.not.toThrow('--token');
  });
});
