// critest against `berth runtime --runtime runc` on a pure cgroup v2 node; reports in
// .test-results/critest-v2/runc/.
import { describeCritestInGuest } from './critest-guest.js';

await describeCritestInGuest('critest against berth on a pure cgroup v2 node with --runtime runc', 'runc', 'runc');
