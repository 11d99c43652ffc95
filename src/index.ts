// The package's entry: Amber's TypeScript API is its client (src/client), re-exported whole.
export * from './client/index.js';
