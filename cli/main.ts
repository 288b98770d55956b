/**
 * smsgw — the gateway from a terminal: send a message and watch it, read a
 * message's status, follow every status event, and look after the dead-letter
 * queues.
 *
 *   smsgw send +447400123456 'Your code is 424242' --wait
 *   smsgw status 3f0c2a1e-…
 *   smsgw tail
 *   smsgw inbound --from +447700900123
 *   smsgw opt-outs add +447700900123
 *   smsgw dlq list
 *   smsgw dlq redrive carrier:sim-a
 *
 * The API URL and key come from --api-url/--api-key, else SMSGW_API_URL/SMSGW_API_KEY,
 * else .local/outputs.json (written by `npm run local` / `npm run deploy:local`);
 * `tail` and `dlq` also need that file's queue URLs and topic ARN. `--json` prints
 * machine-readable output. Exit codes: 0 ok, 1 error (an API problem, a network
 * or AWS error), 2 usage, 3 `send --wait` ended in a final status other than DELIVERED.
 */
import { ApiError } from './api-client';
import { parseCommandLine, USAGE, UsageError } from './command-line';
import { dlqList, dlqRedrive } from './commands/dlq';
import { inbound } from './commands/inbound';
import { optOutsAdd, optOutsList, optOutsRemove } from './commands/opt-outs';
import { send } from './commands/send';
import { status } from './commands/status';
import { tail } from './commands/tail';
import { list } from './commands/list';
import { usage } from './commands/usage';
import { resolveConfig } from './config';
import type { Io } from './io';

/** Runs one command line; resolves with the exit code. Never calls process.exit. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(argv);
  } catch (err) {
    io.stderr.write(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { command, options } = parsed;
  if (command.name === 'help') {
    io.stdout.write(USAGE);
    return 0;
  }
  try {
    const config = resolveConfig(options, io.env);
    switch (command.name) {
      case 'send':
        return await send(command, options, config, io);
      case 'status':
        return await status(command, options, config, io);
      case 'list':
        return await list(command, options, config, io);
      case 'tail':
        return await tail(command, options, config, io);
      case 'inbound':
        return await inbound(command, options, config, io);
      case 'opt-outs-list':
        return await optOutsList(options, config, io);
      case 'opt-outs-add':
        return await optOutsAdd(command, options, config, io);
      case 'opt-outs-remove':
        return await optOutsRemove(command, options, config, io);
      case 'usage':
        return await usage(command, options, config, io);
      case 'dlq-list':
        return await dlqList(options, config, io);
      case 'dlq-redrive':
        return await dlqRedrive(command, options, config, io);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`${err.message}\n`);
      return 2;
    }
    const e = err as Error;
    io.stderr.write(`${e instanceof ApiError ? e.message : `error: ${e.message || e.name}`}\n`);
    return 1;
  }
}

/** The process entry point: cli/smsgw.ts calls it (npm run smsgw, and the `smsgw` bin through cli/smsgw.js). */
export function run(): void {
  let interrupt: () => void = () => undefined;
  const interrupted = new Promise<void>((r) => (interrupt = r));
  let signals = 0;
  const onSignal = () => {
    // The first Ctrl-C lets the command clean up (tail removes its queue); a second one exits now.
    if (++signals > 1) process.exit(130);
    interrupt();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // Exit once what was written has been flushed (stdout may be a pipe to another program).
  const exit = (code: number) => process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
  main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, fetch, interrupted }).then(exit, (err: unknown) => {
    process.stderr.write(`error: ${(err as Error).message}\n`);
    exit(1);
  });
}
