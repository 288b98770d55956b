/**
 * Integration suite setup: starts the emulator when none answers (MiniStack,
 * or the endpoint in AWS_ENDPOINT_URL) and deploys the stack with the same code
 * as `npm run deploy:local`, quietly (a failed deploy throws with the CDK's
 * output). Stops MiniStack afterwards only if it started it.
 *
 * SKIP_DEPLOY=1 leaves the stack as it is: for a run of files that make their own
 * tables and need only the emulator (delivery-writes.test.ts), so that running one
 * of them does not redeploy the stack that other runs are using.
 */
import { deployLocal } from '../../scripts/deploy-local';
import { ensureEmulator } from '../../scripts/emulator';

export default async function setup(): Promise<() => void> {
  // This process's own SDK calls (the deploy's TTL fix): see the quiet settings in vitest.config.mts.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const emulator = await ensureEmulator({ quiet: true });
  if (process.env.SKIP_DEPLOY !== '1') await deployLocal({ quiet: true });
  return () => {
    if (emulator.started && process.env.KEEP_EMULATOR !== '1') emulator.stop();
  };
}
