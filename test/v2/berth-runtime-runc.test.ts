// The same node as berth-runtime-crun.test.ts with `--runtime runc`: the CRI requests must give the
// same v2 files and effects under runc, the runtime berth uses on v1 and hybrid hosts.
import { beforeAll, describe } from 'vitest';
import { nodeGuestTimeLimitMs, runInNodeGuest } from '../harness/v2-node-guest.js';
import { NodeOutput, nodeTests } from './node-expectations.js';
import { nodeScript } from './node-script.js';

let node: NodeOutput;

beforeAll(async () => {
  node = new NodeOutput(await runInNodeGuest(nodeScript({ runtime: 'runc' })));
}, nodeGuestTimeLimitMs());

describe('berth runtime on a pure cgroup v2 node with --runtime runc', () => {
  nodeTests(() => node, 'runc');
});
