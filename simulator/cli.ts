/**
 * Runs the SMSC simulator as a process, for local runs and manual testing:
 *
 *   npx tsx simulator/cli.ts --port 2775 --system-id gw --password secret [--tps 50] [--receipt-delay-ms 200] [--hex-ids] [--control-port 3775]
 *
 * Prints "SMSC simulator listening on HOST:PORT" once ready (port 0 picks a free port), and with
 * --control-port how to make it send an inbound message (control-server.ts); SIGINT/SIGTERM stop
 * it. `--help` lists every option.
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { moCurl, startControlServer, type ControlServer } from './control-server';
import { SmscSimulator, type SimulatorOptions } from './smsc-simulator';

const USAGE = `Usage: npx tsx simulator/cli.ts [options]

  --port N                    TCP port (default 2775; 0 = any free port)
  --host HOST                 address to listen on (default 127.0.0.1)
  --system-id ID              system_id accepted at bind (default gw)
  --password PW               password accepted at bind (default secret)
  --tps N                     submit_sm per 1000 ms window before ESME_RTHROTTLED (default: no limit)
  --receipt-delay-ms N        delay before each delivery receipt; -1 = none (default 50)
  --receipt-stat STAT         DELIVRD | UNDELIV | EXPIRED | REJECTD (default DELIVRD)
  --response-delay-ms N       delay before each submit_sm_resp (default 0)
  --hex-ids                   submit_sm_resp ids in hex, receipts in decimal
  --receipt-before-response   send the receipt before the submit_sm_resp
  --no-receipt-tlvs           receipts carry the text only, no receipted_message_id/message_state
  --reject-with STATUS        answer every submit_sm with this command_status (e.g. 0x45)
  --drop-after-submits N      drop the connection on the Nth submit_sm, once
  --max-binds N               refuse binds beyond N with ESME_RBINDFAIL
  --control-port N            HTTP control port on 127.0.0.1: POST /mo {"from","to","text"} sends an
                              inbound (MO) message to the bound ESME (0 = any free port)
  --verbose                   log sessions and events to stdout, and on exit what the account's
                              limits are judged by (peak binds, most submit_sm in a second, refusals)
  --help                      this text
`;

const Int = (min: number) => z.coerce.number().int().min(min);
const CommandStatus = z
  .string()
  .regex(/^(0x[0-9a-f]{1,8}|[0-9]{1,10})$/i, 'a command_status in hex (0x45) or decimal (69)')
  .transform((v) => (v.toLowerCase().startsWith('0x') ? Number.parseInt(v.slice(2), 16) : Number.parseInt(v, 10)));

const CliArgs = z.strictObject({
  port: Int(0).max(65535).default(2775),
  host: z.string().min(1).default('127.0.0.1'),
  'system-id': z.string().min(1).max(15).default('gw'),
  password: z.string().max(8).default('secret'),
  tps: z.coerce.number().positive().optional(),
  'receipt-delay-ms': Int(-1).default(50),
  'receipt-stat': z.enum(['DELIVRD', 'UNDELIV', 'EXPIRED', 'REJECTD']).default('DELIVRD'),
  'response-delay-ms': Int(0).default(0),
  'hex-ids': z.boolean().default(false),
  'receipt-before-response': z.boolean().default(false),
  'no-receipt-tlvs': z.boolean().default(false),
  'reject-with': CommandStatus.optional(),
  'drop-after-submits': Int(1).optional(),
  'max-binds': Int(1).optional(),
  'control-port': Int(0).max(65535).optional(),
  verbose: z.boolean().default(false),
  help: z.boolean().default(false),
});

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}`);
  process.exit(2);
}

async function main(): Promise<void> {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'system-id': { type: 'string' },
        password: { type: 'string' },
        tps: { type: 'string' },
        'receipt-delay-ms': { type: 'string' },
        'receipt-stat': { type: 'string' },
        'response-delay-ms': { type: 'string' },
        'hex-ids': { type: 'boolean' },
        'receipt-before-response': { type: 'boolean' },
        'no-receipt-tlvs': { type: 'boolean' },
        'reject-with': { type: 'string' },
        'drop-after-submits': { type: 'string' },
        'max-binds': { type: 'string' },
        'control-port': { type: 'string' },
        verbose: { type: 'boolean' },
        help: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }

  const parsed = CliArgs.safeParse(values);
  if (!parsed.success) {
    fail(parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('\n'));
  }
  const args = parsed.data;
  if (args.help) {
    process.stdout.write(USAGE);
    return;
  }

  const options: Partial<SimulatorOptions> = {
    systemId: args['system-id'],
    password: args.password,
    receiptDelayMs: args['receipt-delay-ms'],
    receiptStat: args['receipt-stat'],
    responseDelayMs: args['response-delay-ms'],
    idFormat: args['hex-ids'] ? 'hex' : 'decimal',
    receiptBeforeResponse: args['receipt-before-response'],
    useReceiptTlvs: !args['no-receipt-tlvs'],
    ...(args.tps !== undefined && { tps: args.tps }),
    ...(args['reject-with'] !== undefined && { rejectWith: args['reject-with'] }),
    ...(args['drop-after-submits'] !== undefined && { dropAfterSubmits: args['drop-after-submits'] }),
    ...(args['max-binds'] !== undefined && { maxBinds: args['max-binds'] }),
    ...(args.verbose && { log: (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`) }),
  };

  const simulator = new SmscSimulator(options);
  let control: ControlServer | undefined;
  const shutdown = (): void => {
    if (args.verbose) {
      process.stdout.write(
        `peak binds ${simulator.peakBinds()}${args['max-binds'] !== undefined ? ` (max-binds ${args['max-binds']})` : ''}, ` +
          `most submit_sm in any second ${simulator.maxSubmitsInAnyWindow()}${args.tps !== undefined ? ` (tps ${args.tps})` : ''}, ` +
          `binds refused as one too many ${simulator.bindRefusals()}\n`,
      );
    }
    void Promise.all([simulator.stop(), control?.close()]).then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  const port = await simulator.start(args.port, args.host);
  process.stdout.write(`SMSC simulator listening on ${args.host}:${port}\n`);
  if (args['control-port'] !== undefined) {
    control = await startControlServer(simulator, args['control-port']);
    process.stdout.write(`Send an inbound message: ${moCurl(control.port)}\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`SMSC simulator failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
