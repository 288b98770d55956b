/**
 * Integration suite setup: starts the emulator when none answers (MiniStack,
 * or the endpoint in AWS_ENDPOINT_URL) and deploys the stack with the same code
 * as `npm run deploy:local`. Stops MiniStack afterwards only if it started it.
 */
import { deployLocal } from '../../scripts/deploy-local';
import { ensureEmulator } from '../../scripts/emulator';

export default async function setup(): Promise<() => void> {
  const emulator = await ensureEmulator();
  const started = Date.now();
  await deployLocal();
  console.log(`stack deployed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return () => {
    if (emulator.started && process.env.KEEP_EMULATOR !== '1') emulator.stop();
  };
}
