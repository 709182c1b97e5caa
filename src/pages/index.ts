export * from './pagemap.js';
export * from './kpage.js';
export * from './frame-table.js';
export * from './scan.js';
export * from './sets.js';
export * from './ranges.js';
