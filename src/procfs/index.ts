export * from './kv.js';
export * from './meminfo.js';
