import { defineConfig } from 'vitest/config';

// Two projects: fast, self-contained tests (domain, handlers with mocked clients,
// CDK template assertions, SMPP over loopback TCP) and integration tests that need
// the emulator with the stack deployed (test/integration/global-setup.ts).
//
// Quiet runs: the AWS SDK's notice that its 2027 releases need Node 22 is not for
// test output (Node 20 is the local toolchain; the Lambdas run 24, the worker 22),
// and in-process Lambda handlers log nothing and write no metrics unless a test
// turns its logger on to read what it logged.
const quiet = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/infra/**/*.test.ts', 'test/smpp/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          env: { ...quiet, POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' },
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/integration/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          env: quiet,
          // The suites share one deployed stack and its queues: run files one after another.
          poolOptions: { forks: { singleFork: true } },
        },
      },
    ],
  },
});
