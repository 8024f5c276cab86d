// berth's kubelet standalone (`berth node` with static pods) on a pure cgroup v2 node, crun: the
// QoS tiers as v2 cgroups, CNI pod networking in the guest, and stats and cAdvisor series from v2 counters.
import { beforeAll, describe } from 'vitest';
import { nodeGuestTimeLimitMs, runInNodeGuest } from '../harness/v2-node-guest.js';
import { kubeletTests } from './kubelet-expectations.js';
import { kubeletScript } from './kubelet-script.js';
import { NodeOutput } from './node-expectations.js';

let node: NodeOutput;

beforeAll(async () => {
  node = new NodeOutput(await runInNodeGuest(kubeletScript()));
}, nodeGuestTimeLimitMs());

describe('berth node standalone on a pure cgroup v2 node, left to choose its OCI runtime (crun)', () => {
  kubeletTests(() => node, 'crun');
});
