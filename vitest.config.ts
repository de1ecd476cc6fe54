import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Tests start real servers, sessions and worker threads: give them room on a 2-core machine.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // isolated-vm requires it on Node 20+ (model.ts isolates share V8's heap with Node).
    execArgv: ['--no-node-snapshot'],
  },
});
