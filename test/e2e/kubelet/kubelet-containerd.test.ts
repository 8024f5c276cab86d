// The kubelet e2e suite on Debian's containerd 1.6 (a private instance) through its CRI socket.
import { containerdRuntime } from '../../integration/kubelet/suite-runtimes.js';
import { kubeletSuite } from './kubelet-suite.js';

kubeletSuite(containerdRuntime, 201);
