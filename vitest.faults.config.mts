import { defineConfig } from 'vitest/config';
import base from './vitest.config.mts';

/**
 * `npm run test:faults`: the crash-consistency storm (tests/faults) against real server processes,
 * on the same PostgreSQL set-up as `npm test` (embedded, or DATABASE_URL). Its files run one at a
 * time: each drives a server with every core it can get.
 */
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ['tests/faults/**/*.test.ts'],
    exclude: [],
    fileParallelism: false,
    testTimeout: 150_000,
  },
});
