/**
 * A worker against the deployed stack and two SMSC simulators over loopback
 * TCP: the integration tests' real SMPP peers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { BatchGetCommand, BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { SmscSimulator } from '../../simulator/smsc-simulator';
import { startWorker, type RunningWorker } from '../../worker/main';
import { loadWorkerSettings, localStackEnv, passwordVariable, type WorkerSettings } from '../../worker/settings';
import { clients, http, outputs, ukMobile, waitFor } from './local';

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

/**
 * Polls the API until the message is in one of `statuses`; runs the sweeper meanwhile when asked (retries).
 * `key`: the API key of the message's tenant, when it is not the local outputs' (acme's).
 */
export async function untilStatus(id: string, statuses: string[], options: { timeoutMs?: number; sweepEveryMs?: number; key?: string } = {}): Promise<any> {
  let lastSweep = Date.now();
  return waitFor(
    `message ${id} in ${statuses.join('|')}`,
    async () => {
      if (options.sweepEveryMs && Date.now() - lastSweep > options.sweepEveryMs) {
        lastSweep = Date.now();
        await sweep();
      }
      const res = await http('GET', `/v1/messages/${id}`, options.key ? { key: options.key } : {});
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

/** A log line of a worker process, as JSON. */
export type WorkerLine = { message: string; timestamp: string } & Record<string, unknown>;

/** A worker process (the built dist/worker.js, as the container runs it) with these settings; its stdout kept. */
export interface WorkerProcess {
  child: ChildProcess;
  /** Its log lines so far. */
  output(): string;
  /** Its log lines so far, parsed, of one event (all when none is named). */
  lines(event?: string): WorkerLine[];
  exited: Promise<number | null>;
}

let built: Promise<unknown> | undefined;

/**
 * Starts a worker process and resolves once it logged `until` (default BIND_UP; WORKER_STARTED
 * for one that may stand by without a bind).
 */
export async function spawnWorker(settings: WorkerSettings, env: Record<string, string> = {}, until = 'BIND_UP'): Promise<WorkerProcess> {
  built ??= new Promise((r) => spawn('npm', ['run', '-s', 'build:worker'], { cwd: REPO_ROOT, stdio: 'ignore' }).once('exit', r));
  await built;
  const childEnv: Record<string, string> = {
    ...(process.env as Record<string, string>),
    TABLE_NAME: settings.tableName,
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
  const lines = (event?: string): WorkerLine[] =>
    out.split('\n').flatMap((line) => {
      if (!line.startsWith('{')) return [];
      const entry = JSON.parse(line) as WorkerLine;
      return event === undefined || entry.message === event ? [entry] : [];
    });
  // Long enough for the leases of a worker killed just before to expire (the default TTL, 15 s).
  await waitFor(`the worker process logged ${until}`, async () => (out.includes(`"${until}"`) ? true : undefined), 45_000);
  return { child, output: () => out, lines, exited };
}

/**
 * Messages ROUTED to a carrier, written straight to the table and the carrier queue as the
 * outbox would (through the API the emulator's serial Lambda executor feeds a worker far
 * more slowly than a carrier's TPS). Each has a destination of its own.
 */
export async function seedRouted(carrierId: string, count: number, text = 'seeded'): Promise<{ id: string; to: string }[]> {
  const { dynamo, sqs } = clients();
  const table = outputs().tableName;
  const queueUrl = outputs().carrierQueueUrls[carrierId]!;
  const validUntil = new Date(Date.now() + 3_600_000).toISOString();
  const at = new Date().toISOString();
  const messages = Array.from({ length: count }, () => ({ id: randomUUID(), to: ukMobile() }));
  for (let i = 0; i < messages.length; i += 25) {
    const items = messages.slice(i, i + 25).map(({ id, to }) => ({
      PutRequest: {
        Item: {
          pk: `MSG#${id}`, sk: 'MSG', kind: 'message', id, tenantId: 'acme', status: 'ROUTED', to, country: 'GB', text, type: 'transactional',
          encoding: 'GSM7', segments: 1, validUntil, createdAt: at, updatedAt: at, attempt: 1, carrierId, history: [{ status: 'ROUTED', at, attempt: 1 }],
        },
      },
    }));
    await dynamo.send(new BatchWriteCommand({ RequestItems: { [table]: items } }));
  }
  for (let i = 0; i < messages.length; i += 10) {
    const entries = messages.slice(i, i + 10).map(({ id, to }, j) => ({
      Id: String(j),
      MessageGroupId: id,
      MessageDeduplicationId: `${id}#1`,
      MessageBody: JSON.stringify({ v: 1, messageId: id, tenantId: 'acme', attempt: 1, carrierId, to, text, encoding: 'GSM7', segments: 1, validUntil }),
    }));
    await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
  }
  return messages;
}

/**
 * The message records' statuses, read consistently, 100 a request: cheap enough to poll beside
 * an in-process SMSC simulator without starving it (its TPS count would see the delay).
 */
export async function statusesOf(ids: string[]): Promise<Map<string, string | undefined>> {
  const { dynamo } = clients();
  const table = outputs().tableName;
  const out = new Map<string, string | undefined>(ids.map((id) => [id, undefined]));
  for (let i = 0; i < ids.length; i += 100) {
    let keys: Record<string, unknown>[] = ids.slice(i, i + 100).map((id) => ({ pk: `MSG#${id}`, sk: 'MSG' }));
    while (keys.length > 0) {
      const res = await dynamo.send(new BatchGetCommand({ RequestItems: { [table]: { Keys: keys, ConsistentRead: true, ProjectionExpression: 'id, #s', ExpressionAttributeNames: { '#s': 'status' } } } }));
      for (const item of res.Responses?.[table] ?? []) out.set(String(item.id), typeof item.status === 'string' ? item.status : undefined);
      keys = (res.UnprocessedKeys?.[table]?.Keys as Record<string, unknown>[] | undefined) ?? [];
    }
  }
  return out;
}
