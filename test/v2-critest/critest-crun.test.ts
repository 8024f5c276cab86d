// critest against `berth runtime` on a pure cgroup v2 node, berth left to pick its OCI runtime
// (crun there); reports in .test-results/critest-v2/crun/.
import { describeCritestInGuest } from './critest-guest.js';

await describeCritestInGuest('critest against berth on a pure cgroup v2 node (crun, chosen by berth)', undefined, 'crun');
