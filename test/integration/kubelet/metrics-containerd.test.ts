import { containerdRuntime } from './suite-runtimes.js';
import { metricsSuite } from './metrics-suite.js';

metricsSuite(containerdRuntime, 206);
