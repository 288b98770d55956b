/**
 * npm run local — the whole gateway on this machine, no AWS account, no Docker:
 * the emulator (MiniStack, or AWS_ENDPOINT_URL), the stack (deploy:local), an
 * SMSC simulator for every carrier marked `simulated: true`, and the SMPP
 * worker processes (one by default) with the stack outputs. Prints the API URL,
 * a dev key and a curl to paste, and for each simulator the curl that makes it send
 * an inbound message (its control port, simulator/control-server.ts: a STOP to a
 * tenant's number, say); shows each message's lifecycle as it happens; Ctrl-C stops
 * everything it started.
 *
 *   npm run local -- --workers 2 --simulate sim-a:tps=20 --simulate sim-b:drop-after=50,receipt-before-response
 *
 * starts two workers, which share the carriers' binds through bind leases, and
 * gives a simulated carrier a behaviour (see USAGE).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { configPath, loadGatewayConfig } from '../core/config/load';
import type { LocalOutputs } from '../core/config/local-outputs';
import { moCurl, startControlServer, type ControlServer } from '../simulator/control-server';
import { SmscSimulator, type ReceiptStat, type SimulatorOptions } from '../simulator/smsc-simulator';
import { deployLocal } from './deploy-local';
import { ensureEmulator, localAwsEnv, REPO_ROOT } from './emulator';

/** The most worker processes `--workers` starts: enough to watch leases change hands, few enough for a laptop. */
export const MAX_LOCAL_WORKERS = 8;

/** The first worker's health port when HEALTH_PORT does not name one; the next ones count up from it. */
const DEFAULT_HEALTH_PORT = 8081;

export const USAGE = `Usage: npm run local -- [--workers N] [--simulate <carrier>:<behaviour>[,<behaviour>…]]…

  --workers N                worker processes to start, 1 to ${MAX_LOCAL_WORKERS} (default 1). Each has its own task id
                             (local-1, local-2, …) and health port (HEALTH_PORT, default ${DEFAULT_HEALTH_PORT}, then
                             one up for each next worker); they share each carrier's binds through bind leases.

Behaviours of a simulated carrier's SMSC (repeat --simulate for several carriers):
  tps=N                      more than N submit_sm in any second are throttled (ESME_RTHROTTLED)
  drop-after=N               drop the connection on the Nth submit_sm, leaving it unanswered (once)
  receipt-before-response    send each receipt before its submit_sm_resp
  receipt-delay=MS           delay before each receipt (default 500; -1 sends none)
  response-delay=MS          delay before each submit_sm_resp (default 0)
  receipt-stat=STAT          DELIVRD | UNDELIV | EXPIRED | REJECTD (default DELIVRD)
  reject-with=STATUS         answer every submit_sm with this command_status (0x45 or 69)
  id-format=hex|decimal      ids in submit_sm_resp (default: as the carrier's receiptIdFormat expects)
  no-receipt-tlvs            receipts carry their text only
  max-binds=N                refuse binds beyond N (ESME_RBINDFAIL)

Example: npm run local -- --workers 2 --simulate sim-a:tps=20,max-binds=2 --simulate sim-b:drop-after=50,receipt-before-response
`;

/** A simulator's control port: its SMPP port + 1000 (3775 for 2775), or any free port past 65535. */
export function controlPort(smppPort: number): number {
  return smppPort + 1000 <= 65535 ? smppPort + 1000 : 0;
}

/** A command line `npm run local` cannot run: reported with USAGE, exit code 2, before anything starts. */
export class LocalUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LocalUsageError';
  }
}

export class SimulateSpecError extends LocalUsageError {
  constructor(message: string) {
    super(message);
    this.name = 'SimulateSpecError';
  }
}

/** One worker process of a local run: the TASK_ID and HEALTH_PORT it is started with. */
export interface LocalWorker {
  readonly taskId: string;
  readonly healthPort: number;
}

/**
 * The worker processes `--workers` asks for: `local-1`, `local-2`, … on consecutive health
 * ports from HEALTH_PORT (default 8081). Both values are checked strictly, so `--workers 2x`
 * or `--workers 0` fails before the deploy.
 *
 * @example localWorkers('2', {}) // [{ taskId: 'local-1', healthPort: 8081 }, { taskId: 'local-2', healthPort: 8082 }]
 */
export function localWorkers(workers: string | undefined, env: NodeJS.ProcessEnv): LocalWorker[] {
  const count = workers ?? '1';
  if (!/^[0-9]+$/.test(count) || Number(count) < 1 || Number(count) > MAX_LOCAL_WORKERS) {
    throw new LocalUsageError(`--workers ${count}: must be a whole number from 1 to ${MAX_LOCAL_WORKERS}`);
  }
  const base = env.HEALTH_PORT ?? String(DEFAULT_HEALTH_PORT);
  const last = Number(base) + Number(count) - 1;
  if (!/^[0-9]+$/.test(base) || Number(base) < 1 || last > 65535) {
    const several = Number(count) > 1 ? `, the first of ${count} consecutive health ports` : '';
    throw new LocalUsageError(`HEALTH_PORT=${base}: must be a port number from 1 to ${65536 - Number(count)}${several}`);
  }
  return Array.from({ length: Number(count) }, (_, i) => ({ taskId: `local-${i + 1}`, healthPort: Number(base) + i }));
}

const RECEIPT_STATS: readonly ReceiptStat[] = ['DELIVRD', 'UNDELIV', 'EXPIRED', 'REJECTD'];

/**
 * Parses `--simulate` values into simulator options per carrier. Every problem
 * is reported with the spec and the key it is about, e.g.
 * `--simulate sim-a:tps=0: tps must be a number > 0`.
 *
 * @example parseSimulateSpecs(['sim-b:drop-after=50,receipt-before-response'], ['sim-a', 'sim-b'])
 *   // Map { 'sim-b' => { dropAfterSubmits: 50, receiptBeforeResponse: true } }
 */
export function parseSimulateSpecs(specs: readonly string[], simulatedCarriers: readonly string[]): Map<string, Partial<SimulatorOptions>> {
  const result = new Map<string, Partial<SimulatorOptions>>();
  for (const spec of specs) {
    const fail = (problem: string): never => {
      throw new SimulateSpecError(`--simulate ${spec}: ${problem}`);
    };
    const colon = spec.indexOf(':');
    if (colon <= 0 || colon === spec.length - 1) fail('expected <carrier>:<behaviour>[,<behaviour>…], e.g. sim-a:tps=20');
    const carrier = spec.slice(0, colon);
    if (!simulatedCarriers.includes(carrier)) {
      fail(`no simulated carrier '${carrier}' (simulated: ${simulatedCarriers.length ? simulatedCarriers.join(', ') : 'none'}; mark a carrier 'simulated: true' in the config)`);
    }
    const options: Partial<SimulatorOptions> = { ...result.get(carrier) };
    for (const item of spec.slice(colon + 1).split(',')) {
      const eq = item.indexOf('=');
      const key = (eq < 0 ? item : item.slice(0, eq)).trim();
      const value = eq < 0 ? undefined : item.slice(eq + 1).trim();
      const int = (min: number): number => {
        if (value === undefined || !/^-?[0-9]+$/.test(value) || Number(value) < min) fail(`${key} must be a whole number >= ${min}${value === undefined ? ` (${key}=N)` : `, got '${value}'`}`);
        return Number(value);
      };
      const flag = (): true => {
        if (value !== undefined) fail(`${key} takes no value`);
        return true;
      };
      switch (key) {
        case 'tps':
          if (value === undefined || !/^[0-9]+(\.[0-9]+)?$/.test(value) || !(Number(value) > 0)) fail(`tps must be a number > 0${value === undefined ? ' (tps=N)' : `, got '${value}'`}`);
          options.tps = Number(value);
          break;
        case 'drop-after':
          options.dropAfterSubmits = int(1);
          break;
        case 'receipt-before-response':
          options.receiptBeforeResponse = flag();
          break;
        case 'receipt-delay':
        case 'receipt-delay-ms':
          options.receiptDelayMs = int(-1);
          break;
        case 'response-delay':
        case 'response-delay-ms':
          options.responseDelayMs = int(0);
          break;
        case 'receipt-stat':
          if (!RECEIPT_STATS.includes(value as ReceiptStat)) fail(`receipt-stat must be one of ${RECEIPT_STATS.join(', ')}${value === undefined ? '' : `, got '${value}'`}`);
          options.receiptStat = RECEIPT_STATS.find((s) => s === value)!;
          break;
        case 'reject-with':
          if (value === undefined || !/^(0x[0-9a-f]{1,8}|[0-9]{1,10})$/i.test(value)) fail(`reject-with must be a command_status in hex (0x45) or decimal (69)${value === undefined ? '' : `, got '${value}'`}`);
          options.rejectWith = value!.toLowerCase().startsWith('0x') ? Number.parseInt(value!.slice(2), 16) : Number.parseInt(value!, 10);
          break;
        case 'id-format':
          if (value !== 'hex' && value !== 'decimal') fail(`id-format must be hex or decimal${value === undefined ? '' : `, got '${value}'`}`);
          options.idFormat = value === 'hex' ? 'hex' : 'decimal';
          break;
        case 'no-receipt-tlvs':
          flag();
          options.useReceiptTlvs = false;
          break;
        case 'max-binds':
          options.maxBinds = int(1);
          break;
        default:
          fail(`unknown behaviour '${key}' (tps, drop-after, receipt-before-response, receipt-delay, response-delay, receipt-stat, reject-with, id-format, no-receipt-tlvs, max-binds)`);
      }
    }
    result.set(carrier, options);
  }
  return result;
}

/** A short description of a behaviour for the start-up lines, e.g. "tps=20, drop-after=50". */
export function describeBehaviour(o: Partial<SimulatorOptions>): string {
  const parts: string[] = [];
  if (o.tps !== undefined) parts.push(`tps=${o.tps}`);
  if (o.dropAfterSubmits !== undefined) parts.push(`drop-after=${o.dropAfterSubmits}`);
  if (o.receiptBeforeResponse) parts.push('receipt-before-response');
  if (o.receiptDelayMs !== undefined) parts.push(`receipt-delay=${o.receiptDelayMs}`);
  if (o.responseDelayMs !== undefined) parts.push(`response-delay=${o.responseDelayMs}`);
  if (o.receiptStat !== undefined) parts.push(`receipt-stat=${o.receiptStat}`);
  if (o.rejectWith !== undefined) parts.push(`reject-with=0x${o.rejectWith.toString(16)}`);
  if (o.idFormat !== undefined) parts.push(`id-format=${o.idFormat}`);
  if (o.useReceiptTlvs === false) parts.push('no-receipt-tlvs');
  if (o.maxBinds !== undefined) parts.push(`max-binds=${o.maxBinds}`);
  return parts.join(', ');
}

const dim = (s: string) => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[0m` : s);
const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);

/**
 * One line per lifecycle event the worker logs; everything else stays in the JSON log. Binds
 * and leases name the carrier's bind slot, so the lines say which task holds which bind:
 *
 * @example describeWorkerLine('{"message":"LEASE_ACQUIRED","carrierId":"sim-a","slot":0,"taskId":"local-2","takeover":true,"previousOwner":"local-1"}')
 *   // 'sim-a bind 0: lease acquired by local-2 (takeover from local-1)'
 */
export function describeWorkerLine(line: string): string | undefined {
  let e: Record<string, unknown>;
  try {
    e = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const id = typeof e.messageId === 'string' ? e.messageId.slice(0, 8) : '';
  const bindOf = (slot: unknown): string => `${String(e.carrierId)}${typeof slot === 'number' ? ` bind ${slot}` : ''}`;
  const why = (detail: unknown): string => (typeof detail === 'string' ? ` (${detail})` : '');
  switch (e.message) {
    case 'WORKER_STARTED':
      return `worker started for ${(e.carriers as string[]).join(', ')}`;
    case 'BIND_UP':
      return `${bindOf(e.bind)}: bind up`;
    case 'BIND_LOST':
      return `${bindOf(e.bind)}: bind lost${why(e.reason)}`;
    case 'BIND_REFUSED':
      return `${bindOf(e.bind)}: bind refused${why(e.name)}`;
    case 'LEASE_ACQUIRED': {
      const takeover = e.takeover === true ? ` (takeover${typeof e.previousOwner === 'string' ? ` from ${e.previousOwner}` : ''})` : '';
      return `${bindOf(e.slot)}: lease acquired by ${String(e.taskId)}${takeover}`;
    }
    case 'LEASE_RELEASED':
      return `${bindOf(e.slot)}: lease released by ${String(e.taskId)}${why(e.reason)}`;
    case 'LEASE_LOST':
      return `${bindOf(e.slot)}: lease lost by ${String(e.taskId)}${why(e.reason)}`;
    case 'MESSAGE_SUBMITTED':
      return `${id} SUBMITTED via ${String(e.carrierId)} (${String(e.segments)} segment${e.segments === 1 ? '' : 's'}, ${String(e.latencyMs)} ms)`;
    case 'RECEIPT_APPLIED':
      return e.status ? `${String(e.messageId).slice(0, 8)} ${String(e.status)} (receipt ${String(e.state)})` : undefined;
    case 'RECEIPT_UNMATCHED':
      return `receipt for ${String(e.smscId)} held until its submit is recorded`;
    case 'MESSAGE_FAILED':
      return `${id} FAILED: ${String(e.reason)}`;
    case 'SUBMIT_RETRY':
      return `${id} RETRYING (${String(e.reason)})${typeof e.dueAt === 'string' ? ` next attempt at ${e.dueAt.slice(11, 19)}` : ''}`;
    case 'THROTTLED':
      return `${id} throttled by ${String(e.carrierId)}, again in ${String(e.delaySeconds)} s`;
    case 'INBOUND_RECORDED':
      return `inbound message from ${String(e.from)} recorded${typeof e.tenantId === 'string' ? ` for ${e.tenantId}` : ''} (${String(e.parts)} part(s))`;
    case 'INBOUND_DUPLICATE':
      return `inbound message from ${String(e.from)} resent by ${String(e.carrierId)}: recorded already as ${String(e.inboundId).slice(0, 8)}`;
    case 'INBOUND_UNOWNED':
      return `inbound message from ${String(e.from)} to ${String(e.to)}: no tenant owns that number (tenants[].numbers)`;
    case 'KEYWORD_HANDLED': {
      if (typeof e.notApplied === 'string') return `${String(e.kind)} keyword from ${String(e.from)} not applied (${e.notApplied})`;
      const change = e.kind === 'help' ? '' : e.changed === true ? (e.kind === 'stop' ? ', opted out' : ', opt-out removed') : ', nothing to change';
      return `${String(e.kind)} keyword from ${String(e.from)} for ${String(e.tenantId)}${change}; reply ${String(e.replyId).slice(0, 8)} ACCEPTED`;
    }
    default:
      return undefined;
  }
}

/**
 * How to send an inbound message through the first simulator's control port: a STOP from a
 * handset to the first tenant number of the config (its reply shows as the next message).
 */
export function inboundHint(config: { tenants: readonly { id: string; numbers: readonly string[] }[] }, simulated: readonly { id: string }[], controls: readonly { port: number }[]): string {
  const control = controls[0];
  if (!control || !simulated[0]) return '';
  const owner = config.tenants.find((t) => t.numbers.length > 0);
  const to = owner?.numbers[0] ?? '+447700900000';
  return `
Send an inbound message (MO) from a handset through ${simulated[0].id}'s SMSC${owner ? `, here a STOP to ${owner.id}'s number ${to}` : ''} (START, HELP likewise):
  ${moCurl(control.port, { from: '+447700900123', to, text: 'STOP' })}

`;
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { workers: { type: 'string' }, simulate: { type: 'string', multiple: true }, help: { type: 'boolean' } },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const config = loadGatewayConfig(configPath());
  const simulated = config.carriers.filter((c) => c.simulated);
  // Checked before anything starts: a typo fails in a second, not after the deploy.
  const behaviours = parseSimulateSpecs(values.simulate ?? [], simulated.map((c) => c.id));
  const wanted = localWorkers(values.workers, process.env);

  const emulator = await ensureEmulator();
  const simulators: SmscSimulator[] = [];
  const controls: ControlServer[] = [];
  const workers: ChildProcess[] = [];
  const running = () => workers.filter((w) => w.exitCode === null && w.signalCode === null);
  let sweeper: NodeJS.Timeout | undefined;
  let stopping = false;
  const stop = async (code = 0) => {
    if (stopping) return;
    stopping = true;
    console.log('stopping…');
    clearInterval(sweeper);
    await Promise.all(
      running().map(async (worker) => {
        const exited = new Promise((r) => worker.once('exit', r));
        worker.kill('SIGTERM');
        // A worker drains for up to its DRAIN_SECONDS, then unbinds and releases its leases; a second Ctrl-C (or 30 s) ends it.
        const forced = setTimeout(() => worker.kill('SIGKILL'), 30_000);
        await exited;
        clearTimeout(forced);
      }),
    );
    await Promise.all([...simulators.map((s) => s.stop()), ...controls.map((c) => c.close())]);
    emulator.stop();
    process.exit(code);
  };
  // Installed before the deploy, so Ctrl-C at any point stops what was started so far.
  process.on('SIGINT', () => (stopping ? running().forEach((w) => w.kill('SIGKILL')) : void stop(130)));
  process.on('SIGTERM', () => void stop(143));

  try {
    await startEverything();
  } catch (err) {
    console.error((err as Error).message);
    await stop(1);
  }

  async function startEverything(): Promise<void> {
    const outputs = await deployLocal();
    for (const carrier of simulated) {
      const behaviour = behaviours.get(carrier.id) ?? {};
      const sim = new SmscSimulator({
        systemId: carrier.systemId,
        password: carrier.password ?? '',
        idFormat: carrier.receiptIdFormat === 'hex' ? 'hex' : 'decimal',
        receiptDelayMs: 500,
        ...behaviour,
      });
      await sim.start(carrier.port, carrier.host);
      simulators.push(sim);
      const control = await startControlServer(sim, controlPort(carrier.port));
      controls.push(control);
      const described = describeBehaviour(behaviour);
      console.log(`SMSC simulator for ${carrier.id} on ${carrier.host}:${carrier.port}${described ? ` (${described})` : ''}, control port 127.0.0.1:${control.port}`);
    }

    if (spawnSync('npm', ['run', '-s', 'build:worker'], { cwd: REPO_ROOT, stdio: 'inherit' }).status !== 0) throw new Error('building the worker failed');
    for (const { taskId, healthPort } of wanted) {
      const worker = spawn(process.execPath, ['dist/worker.js'], {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'pipe', 'inherit'],
        // DEBUG: the line per message step this command shows (worker/log.ts).
        env: { ...process.env, ...localAwsEnv(emulator.endpoint), GATEWAY_CONFIG: configPath(), TASK_ID: taskId, HEALTH_PORT: String(healthPort), LOG_LEVEL: process.env.LOG_LEVEL ?? 'DEBUG' },
      });
      workers.push(worker);
      // With several workers, each line says whose it is.
      const label = wanted.length > 1 ? `${bold(`[${taskId}]`)} ` : '';
      createInterface({ input: worker.stdout! }).on('line', (line) => {
        const text = describeWorkerLine(line);
        if (text) console.log(`${dim(new Date().toISOString().slice(11, 23))} ${label}${text}`);
      });
      worker.once('exit', (code, signal) => {
        if (!stopping) {
          console.error(`the worker ${taskId} exited (${code ?? signal}); stopping`);
          void stop(1);
        }
      });
    }

    // Retries are due when the sweeper runs. On AWS a retry timer's TTL expiry starts it at
    // once (stream REMOVE record); MiniStack's TTL emits no stream records and EventBridge
    // runs the sweeper once a minute, so run it every 2 s, one call at a time.
    const sweeperName = outputs.raw.SweeperFunctionName;
    if (sweeperName) {
      const lambda = new LambdaClient({});
      let busy = false;
      sweeper = setInterval(() => {
        if (busy) return;
        busy = true;
        lambda
          .send(new InvokeCommand({ FunctionName: sweeperName }))
          .catch(() => undefined) // the next tick tries again
          .finally(() => (busy = false));
      }, 2_000);
    }

    const body = JSON.stringify({ to: '+447400123456', text: 'Hello from my own SMS gateway' });
    console.log(`
${bold('SMS gateway is running locally')}
  API       ${outputs.apiUrl}
  API key   ${outputs.apiKey}
  outputs   .local/outputs.json

Send a message:
  curl -s -X POST '${outputs.apiUrl}/v1/messages' \\
    -H 'x-api-key: ${outputs.apiKey}' -H 'content-type: application/json' \\
    -d '${body}'

Then: curl -s '${outputs.apiUrl}/v1/messages/<id>' -H 'x-api-key: ${outputs.apiKey}'
${twilioHint(outputs)}Or with the CLI: npx smsgw send +447400123456 'Hello' --wait   (npx smsgw tail, npx smsgw dlq list)
${inboundHint(config, simulated, controls)}Ctrl-C stops the worker${wanted.length > 1 ? `s (${wanted.map((w) => `${w.taskId} on health port ${w.healthPort}`).join(', ')})` : ''}, the simulators${emulator.started ? ' and MiniStack' : ''}.
`);
  }
}

/** How to reach the Twilio-compatible API with the config's Twilio account (tenant acme in config/local.yaml). */
function twilioHint(outputs: LocalOutputs): string {
  const t = outputs.twilio;
  if (!t) return '';
  return `
Twilio-compatible API (tenant ${t.tenantId}): account SID ${t.accountSid}, auth token ${t.authToken}
  const client = twilio('${t.accountSid}', '${t.authToken}'); client.api.baseUrl = '${outputs.apiUrl}';
  curl -s -u '${t.accountSid}:${t.authToken}' '${outputs.apiUrl}/2010-04-01/Accounts/${t.accountSid}/Messages.json' \\
    --data-urlencode 'To=+447400123456' --data-urlencode 'From=+447700900000' --data-urlencode 'Body=Hello'
`;
}

if (require.main !== undefined && require.main === module) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error((err as Error).message);
    if (err instanceof LocalUsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) console.error(`\n${USAGE}`);
    process.exit(err instanceof LocalUsageError ? 2 : 1);
  });
}
