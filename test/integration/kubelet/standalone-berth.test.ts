// The standalone kubelet suite on berth's own runtime, served in-process: `berth node` without an API server.
import { standaloneSuite } from './standalone-suite.js';
import { berthRuntime } from './suite-runtimes.js';

standaloneSuite(berthRuntime, 204);
