// `berth runtime` on a pure cgroup v2 node (the Debian guest under qemu TCG), started with no
// cgroup or runtime flags: it must find v2, pick crun, and run a pod whose container limits crun
// writes as v2 files, all driven by the real crictl over the CRI socket.
import { beforeAll, describe } from 'vitest';
import { nodeGuestTimeLimitMs, runInNodeGuest } from '../harness/v2-node-guest.js';
import { NodeOutput, nodeTests } from './node-expectations.js';
import { nodeScript } from './node-script.js';

let node: NodeOutput;

beforeAll(async () => {
  node = new NodeOutput(await runInNodeGuest(nodeScript()));
}, nodeGuestTimeLimitMs());

describe('berth runtime on a pure cgroup v2 node, left to choose its OCI runtime (crun)', () => {
  nodeTests(() => node, 'crun');
});
