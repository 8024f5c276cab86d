import { berthRuntime } from './suite-runtimes.js';
import { metricsSuite } from './metrics-suite.js';

metricsSuite(berthRuntime, 205);
