export { runSuite, runTest } from './conformance/run-suite.js';
export type { ConformanceResult, SuiteOptions } from './conformance/run-suite.js';
export { loadManifest, ConformanceDirError } from './conformance/manifest.js';
