// The standalone kubelet suite on Debian's containerd 1.6 (a private instance).
import { standaloneSuite } from './standalone-suite.js';
import { containerdRuntime } from './suite-runtimes.js';

standaloneSuite(containerdRuntime, 202);
