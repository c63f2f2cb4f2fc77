import { defineConfig } from 'vitest/config';

// Four projects: `unit` tests sit next to the code and never touch the network; `integration` tests live in
// test/ and run against the real local stack, which test/global-setup.ts brings up and migrates first;
// `faults` (test/faults) kills, stops and cuts those servers under a running pipeline, so it runs after the
// first two have finished (a later `groupOrder`), never beside them; `browser` (test/browser) drives the
// console in chromium on a pipeline of its own under `npm start`, on the ports the fault suite's
// serverless-offline takes too, so it runs last, after the fault suite (projects of one groupOrder run at once).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: [
            'lib/**/*.test.ts',
            'functions/**/*.test.ts',
            'infra/**/*.test.ts',
            'test/unit/**/*.test.ts',
            'bench/**/*.test.ts',
          ],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/global-setup.ts'],
          // Some tests stop and restart the shared servers, so integration files run one at a time.
          fileParallelism: false,
          // Stated, not left at 0: Vitest runs a one-at-a-time project without a group order after every
          // group that has one, which would put it after the fault suite.
          sequence: { groupOrder: 1 },
          testTimeout: 180_000,
          hookTimeout: 300_000,
        },
      },
      {
        test: {
          name: 'faults',
          include: ['test/faults/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/global-setup.ts'],
          fileParallelism: false,
          sequence: { groupOrder: 2 },
          testTimeout: 400_000,
          hookTimeout: 300_000,
        },
      },
      {
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/global-setup.ts'],
          // One npm start at a time: it takes the pipeline's fixed ports.
          fileParallelism: false,
          sequence: { groupOrder: 3 },
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
