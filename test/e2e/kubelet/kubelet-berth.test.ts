// The kubelet e2e suite on berth's own runtime, served in-process on a socket of its own.
import { berthRuntime } from '../../integration/kubelet/suite-runtimes.js';
import { kubeletSuite } from './kubelet-suite.js';

kubeletSuite(berthRuntime, 203);
