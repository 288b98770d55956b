/**
 * A worker against the deployed stack and two SMSC simulators over loopback
 * TCP: the integration tests' real SMPP peers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { SmscSimulator } from '../../simulator/smsc-simulator';
import { startWorker, type RunningWorker } from '../../worker/main';
import { loadWorkerSettings, localStackEnv, passwordVariable, type WorkerSettings } from '../../worker/settings';
import { clients, http, outputs, waitFor } from './local';

export const REPO_ROOT = resolve(__dirname, '..', '..');

export interface Harness {
  simA: SmscSimulator;
  simB: SmscSimulator;
  worker: RunningWorker;
  settings: WorkerSettings;
  logs: { event: string; data: Record<string, unknown> }[];
  stop(): Promise<void>;
}

/** Worker settings from the local stack, with the carriers pointed at the given simulator ports. */
export function workerSettings(ports: Record<string, number>, tps: number): WorkerSettings {
  const env = localStackEnv(REPO_ROOT, { ...process.env, TABLE_NAME: undefined });
  const settings = loadWorkerSettings(env);
  return {
    ...settings,
    healthPort: 0,
    heartbeatSeconds: 1,
    pollWaitSeconds: 1,
    drainSeconds: 10,
    carriers: settings.carriers.map((c) => ({ ...c, config: { ...c.config, host: '127.0.0.1', port: ports[c.config.id]!, tps } })),
  };
}

export async function startHarness(tps = 50): Promise<Harness> {
  // SMSC ids never repeat across harnesses in one emulator, as a real SMSC's never do.
  const firstMessageId = 1_000_000 + (Date.now() % 1_000_000) * 1000;
  const simA = new SmscSimulator({ systemId: 'gw-a', password: 'secret-a', tps, firstMessageId });
  const simB = new SmscSimulator({ systemId: 'gw-b', password: 'secret-b', tps, idFormat: 'hex', firstMessageId });
  const ports = { 'sim-a': await simA.start(0), 'sim-b': await simB.start(0) };
  const settings = workerSettings(ports, tps);
  const logs: Harness['logs'] = [];
  const worker = await startWorker(settings, (event, data = {}) => logs.push({ event, data }));
  await waitFor('both carriers bound', async () => ([...worker.connections.values()].every((c) => c.bindsUp() > 0) ? true : undefined), 15_000);
  return {
    simA,
    simB,
    worker,
    settings,
    logs,
    stop: async () => {
      await worker.stop();
      await simA.stop();
      await simB.stop();
    },
  };
}

export async function sweep(): Promise<unknown> {
  const res = await clients().lambda.send(new InvokeCommand({ FunctionName: outputs().raw.SweeperFunctionName! }));
  return JSON.parse(Buffer.from(res.Payload ?? []).toString() || 'null');
}

/** Polls the API until the message is in one of `statuses`; runs the sweeper meanwhile when asked (retries). */
export async function untilStatus(id: string, statuses: string[], options: { timeoutMs?: number; sweepEveryMs?: number } = {}): Promise<any> {
  let lastSweep = Date.now();
  return waitFor(
    `message ${id} in ${statuses.join('|')}`,
    async () => {
      if (options.sweepEveryMs && Date.now() - lastSweep > options.sweepEveryMs) {
        lastSweep = Date.now();
        await sweep();
      }
      const res = await http('GET', `/v1/messages/${id}`);
      return statuses.includes(res.body?.status) ? res.body : undefined;
    },
    // Generous: the emulator runs every Lambda invocation in one thread, one after another.
    options.timeoutMs ?? 90_000,
    200,
  );
}

/** Submits one message through the API and returns its id (the API must answer 202). */
export async function send(body: Record<string, unknown>): Promise<string> {
  const res = await http('POST', '/v1/messages', { body });
  if (res.status !== 202) throw new Error(`POST /v1/messages answered ${res.status}: ${res.text}`);
  return res.body.id;
}

/** The SMSC's view of a destination: E.164 without "+". */
export const smscAddress = (e164: string) => e164.replace(/^\+/, '');

/** A worker process (the built dist/worker.js, as the container runs it) with these settings; its stdout kept. */
export interface WorkerProcess {
  child: ChildProcess;
  /** Its log lines so far. */
  output(): string;
  exited: Promise<number | null>;
}

let built: Promise<unknown> | undefined;

export async function spawnWorker(settings: WorkerSettings, env: Record<string, string> = {}): Promise<WorkerProcess> {
  built ??= new Promise((r) => spawn('npm', ['run', '-s', 'build:worker'], { cwd: REPO_ROOT, stdio: 'ignore' }).once('exit', r));
  await built;
  const childEnv: Record<string, string> = {
    ...(process.env as Record<string, string>),
    TABLE_NAME: settings.tableName,
    INBOUND_TOPIC_ARN: settings.inboundTopicArn,
    CARRIER_QUEUE_URLS: JSON.stringify(outputs().carrierQueueUrls),
    WORKER_CARRIERS: JSON.stringify(settings.carriers.map((c) => c.config)),
    HEALTH_PORT: '0',
    POLL_WAIT_SECONDS: '1',
    ...env,
  };
  for (const c of settings.carriers) childEnv[passwordVariable(c.config.id)] = c.password;
  const child = spawn(process.execPath, ['dist/worker.js'], { cwd: REPO_ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += String(d)));
  const exited = new Promise<number | null>((r) => child.once('exit', r));
  await waitFor('the worker process bound', async () => (out.includes('BIND_UP') ? true : undefined), 20_000);
  return { child, output: () => out, exited };
}
