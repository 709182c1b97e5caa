export * from './errors.js';
export * from './proc-root.js';
export * from './users.js';
