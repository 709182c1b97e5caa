export type { Sample, SampleHeader, ProcSample, Capabilities, Gap } from '../collect/sample.js';
export type { SystemSample, HiddenHolder } from '../collect/system.js';
export * from './derive.js';
