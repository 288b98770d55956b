import { defineConfig } from 'vitest/config';

// Two projects: fast, self-contained tests (domain, handlers with mocked clients,
// CDK template assertions, SMPP over loopback TCP) and integration tests that need
// the emulator with the stack deployed (started by scripts/test.sh).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/infra/**/*.test.ts', 'test/smpp/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/integration/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          // The suites share one deployed stack and its queues: run files one after another.
          poolOptions: { forks: { singleFork: true } },
        },
      },
    ],
  },
});
