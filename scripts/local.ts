/**
 * npm run local — the whole gateway on this machine, no AWS account, no Docker:
 * the emulator (MiniStack, or AWS_ENDPOINT_URL), the stack (deploy:local), an
 * SMSC simulator for every carrier marked `simulated: true`, and the SMPP
 * worker process with the stack outputs. Prints the API URL, a dev key and a
 * curl to paste; shows each message's lifecycle as it happens; Ctrl-C stops
 * everything it started.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { configPath, loadGatewayConfig } from '../core/config/load';
import { SmscSimulator } from '../simulator/smsc-simulator';
import { deployLocal } from './deploy-local';
import { ensureEmulator, localAwsEnv, REPO_ROOT } from './emulator';

const dim = (s: string) => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[0m` : s);
const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);

/** One line per lifecycle event the worker logs; everything else stays in the JSON log. */
export function describeWorkerLine(line: string): string | undefined {
  let e: Record<string, unknown>;
  try {
    e = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const id = typeof e.messageId === 'string' ? e.messageId.slice(0, 8) : '';
  switch (e.message) {
    case 'WORKER_STARTED':
      return `worker started for ${(e.carriers as string[]).join(', ')}`;
    case 'BIND_UP':
    case 'BIND_LOST':
    case 'BIND_REFUSED':
      return `${String(e.carrierId)}: ${String(e.message).toLowerCase().replace('_', ' ')}`;
    case 'MESSAGE_SUBMITTED':
      return `${id} SUBMITTED via ${String(e.carrierId)} (${String(e.segments)} segment${e.segments === 1 ? '' : 's'}, ${String(e.latencyMs)} ms)`;
    case 'RECEIPT_APPLIED':
      return e.status ? `${String(e.messageId).slice(0, 8)} ${String(e.status)} (receipt ${String(e.state)})` : undefined;
    case 'RECEIPT_UNMATCHED':
      return `receipt for ${String(e.smscId)} held until its submit is recorded`;
    case 'MESSAGE_FAILED':
      return `${id} FAILED: ${String(e.reason)}`;
    case 'SUBMIT_RETRY':
      return `${id} retry in ${String(e.delaySeconds)} s (${String(e.reason)})`;
    case 'INBOUND_PUBLISHED':
      return `inbound message from ${String(e.from)} published (${String(e.parts)} part(s))`;
    default:
      return undefined;
  }
}

async function main(): Promise<void> {
  const config = loadGatewayConfig(configPath());
  const emulator = await ensureEmulator();
  const outputs = await deployLocal();

  const simulators: SmscSimulator[] = [];
  for (const carrier of config.carriers.filter((c) => c.simulated)) {
    const sim = new SmscSimulator({
      systemId: carrier.systemId,
      password: carrier.password ?? '',
      idFormat: carrier.receiptIdFormat === 'hex' ? 'hex' : 'decimal',
      receiptDelayMs: 500,
    });
    await sim.start(carrier.port, carrier.host);
    simulators.push(sim);
    console.log(`SMSC simulator for ${carrier.id} on ${carrier.host}:${carrier.port}`);
  }

  if (spawnSync('npm', ['run', '-s', 'build:worker'], { cwd: REPO_ROOT, stdio: 'inherit' }).status !== 0) throw new Error('building the worker failed');
  const worker: ChildProcess = spawn(process.execPath, ['dist/worker.js'], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...localAwsEnv(emulator.endpoint), GATEWAY_CONFIG: configPath(), HEALTH_PORT: process.env.HEALTH_PORT ?? '8081' },
  });
  createInterface({ input: worker.stdout! }).on('line', (line) => {
    const text = describeWorkerLine(line);
    if (text) console.log(`${dim(new Date().toISOString().slice(11, 23))} ${text}`);
  });

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
Ctrl-C stops the worker, the simulators${emulator.started ? ' and MiniStack' : ''}.
`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('stopping…');
    worker.kill('SIGTERM');
    await new Promise((r) => worker.once('exit', r));
    await Promise.all(simulators.map((s) => s.stop()));
    emulator.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  worker.once('exit', (code) => {
    if (!stopping) {
      console.error(`the worker exited (${code}); stopping`);
      void stop();
    }
  });
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error((err as Error).message);
    process.exit(1);
  });
}
