/**
 * What the end-to-end test adds to the worker harness: the two simulated
 * carriers with their own behaviours and a worker whose TPS matches each, a
 * webhook receiver on 127.0.0.1 that records every request as received (and
 * can fail chosen ones), the tenants' signing secrets, and a wait for many
 * messages at once with the sweeper running meanwhile.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { SmscSimulator, type SimulatorOptions } from '../../simulator/smsc-simulator';
import { startWorker, type RunningWorker } from '../../worker/main';
import { loadWorkerSettings, localStackEnv, type WorkerSettings } from '../../worker/settings';
import { clients, http, outputs, waitFor } from './local';
import { REPO_ROOT, sweep } from './worker-harness';

export interface CarrierSetup {
  /** The simulator's behaviour (systemId, password and idFormat come from the carrier's config). */
  simulator: Partial<SimulatorOptions>;
  /** The worker's TPS for this carrier. @default the config's */
  tps?: number;
}

export interface E2eGateway {
  sims: Record<string, SmscSimulator>;
  worker: RunningWorker;
  settings: WorkerSettings;
  logs: { event: string; data: Record<string, unknown> }[];
  stop(): Promise<void>;
}

/**
 * One simulator per configured carrier and an in-process worker bound to them.
 * Resolves once every carrier has a bind, the worker's heartbeat says so, and
 * the 5-second health cache of the api and the router has seen it — so failover routes pick the
 * first carrier from the first message on.
 */
export async function startGateway(setup: Record<string, CarrierSetup>): Promise<E2eGateway> {
  const base = loadWorkerSettings(localStackEnv(REPO_ROOT, { ...process.env, TABLE_NAME: undefined }));
  const sims: Record<string, SmscSimulator> = {};
  const carriers: WorkerSettings['carriers'] = [];
  for (const c of base.carriers) {
    const own = setup[c.config.id] ?? { simulator: {} };
    const sim = new SmscSimulator({
      systemId: c.config.systemId,
      password: c.password,
      idFormat: c.config.receiptIdFormat === 'hex' ? 'hex' : 'decimal',
      ...own.simulator,
    });
    sims[c.config.id] = sim;
    const port = await sim.start(0);
    carriers.push({ ...c, config: { ...c.config, host: '127.0.0.1', port, tps: own.tps ?? c.config.tps } });
  }
  const settings: WorkerSettings = { ...base, healthPort: 0, heartbeatSeconds: 1, pollWaitSeconds: 1, drainSeconds: 10, taskId: `e2e-${process.pid}-${Date.now()}`, carriers };
  const logs: E2eGateway['logs'] = [];
  const worker = await startWorker(settings, (event, data = {}) => logs.push({ event, data }));
  const stop = async () => {
    await worker.stop();
    await Promise.all(Object.values(sims).map((s) => s.stop()));
  };
  try {
    await waitFor('every carrier bound', async () => ([...worker.connections.values()].every((c) => c.bindsUp() > 0) ? true : undefined), 20_000);
    const { dynamo } = clients();
    for (const { config } of carriers) {
      await waitFor(`a heartbeat of ${config.id} with a bind up`, async () => {
        const res = await dynamo.send(new QueryCommand({ TableName: settings.tableName, KeyConditionExpression: 'pk = :pk AND sk = :sk', ExpressionAttributeValues: { ':pk': `CARRIER#${config.id}`, ':sk': `HEARTBEAT#${settings.taskId}` } }));
        return Number(res.Items?.[0]?.bindsUp ?? 0) > 0 ? true : undefined;
      }, 20_000);
    }
    await new Promise((r) => setTimeout(r, 5_500)); // the api's and the router's health cache
  } catch (err) {
    await stop();
    throw err;
  }
  return { sims, worker, settings, logs, stop };
}

export interface WebhookRequest {
  /** Epoch milliseconds when the body was complete. */
  at: number;
  path: string;
  headers: IncomingHttpHeaders;
  /** The body exactly as received (what the signature covers). */
  rawBody: string;
  /** What the receiver answered. */
  answered: number;
}

export interface WebhookReceiver {
  /** http://127.0.0.1:<port> */
  url: string;
  requests: WebhookRequest[];
  close(): Promise<void>;
}

/**
 * An HTTP server on 127.0.0.1 that records every request. `answer` picks the
 * status per request (default 204), e.g. to fail one event's first attempts;
 * `port` is a fixed one a tenant's URL in config/local.yaml names (default: any free one).
 */
export async function startWebhookReceiver(answer: (req: { path: string; headers: IncomingHttpHeaders; rawBody: string; previous: WebhookRequest[] }) => number = () => 204, port = 0): Promise<WebhookReceiver> {
  const requests: WebhookRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const path = req.url ?? '/';
      const status = answer({ path, headers: req.headers, rawBody, previous: requests });
      requests.push({ at: Date.now(), path, headers: req.headers, rawBody, answered: status });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** Each tenant's webhook signing secret, read from Secrets Manager as the webhook function does. */
export async function webhookSecrets(): Promise<Record<string, string>> {
  const arns = JSON.parse(outputs().raw.WebhookSecretArns ?? '{}') as Record<string, string>;
  const sm = new SecretsManagerClient({});
  const entries = await Promise.all(
    Object.entries(arns).map(async ([tenant, arn]) => {
      const value = await sm.send(new GetSecretValueCommand({ SecretId: arn }));
      if (!value.SecretString) throw new Error(`webhook secret of ${tenant} has no SecretString`);
      return [tenant, value.SecretString] as const;
    }),
  );
  return Object.fromEntries(entries);
}

/**
 * Stops MiniStack's TTL reaper from deleting items of the table until the
 * returned function is called. The reaper (every 60 s) deletes an expired
 * retry timer without the REMOVE stream record DynamoDB would emit, so a timer
 * the sweeper has not reached yet is lost and its message stays RETRYING.
 * Emulator only: DynamoDB allows one TTL change per hour.
 */
export async function pauseTtl(tableName: string): Promise<() => Promise<void>> {
  const { dynamo } = clients();
  const set = (enabled: boolean) => dynamo.send(new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { Enabled: enabled, AttributeName: 'expiresAt' } }));
  await set(false);
  return async () => void (await set(true));
}

/**
 * Polls every message not yet in `statuses` (a few requests at a time, each
 * with its tenant's key) until all are, running the sweeper every
 * `sweepEveryMs` on its own timer — locally, retries are due only when the
 * sweeper runs (MiniStack's TTL emits no stream records). Resolves with the
 * last view of each message, by id.
 */
export async function untilAll(messages: readonly { id: string; key: string }[], statuses: readonly string[], options: { timeoutMs: number; sweepEveryMs: number }): Promise<Map<string, any>> {
  const views = new Map<string, any>();
  const keys = new Map(messages.map((m) => [m.id, m.key]));
  const waiting = new Set(keys.keys());
  const deadline = Date.now() + options.timeoutMs;
  let sweeping = Promise.resolve();
  const sweeper = setInterval(() => {
    sweeping = sweeping.then(() => sweep()).then(
      () => undefined,
      () => undefined, // a failed sweep is retried on the next tick
    );
  }, options.sweepEveryMs);
  try {
    while (waiting.size > 0) {
      const batch = [...waiting];
      for (let i = 0; i < batch.length; i += 8) {
        await Promise.all(
          batch.slice(i, i + 8).map(async (id) => {
            const res = await http('GET', `/v1/messages/${id}`, { key: keys.get(id)! });
            if (res.status !== 200) return;
            views.set(id, res.body);
            if (statuses.includes(res.body.status)) waiting.delete(id);
          }),
        );
      }
      if (waiting.size === 0) break;
      if (Date.now() > deadline) {
        const sample = [...waiting].slice(0, 5).map((id) => `${id} ${views.get(id)?.status ?? '?'}`);
        throw new Error(`timed out after ${options.timeoutMs} ms: ${waiting.size} message(s) not in ${statuses.join('|')}, e.g. ${sample.join(', ')}`);
      }
      await new Promise((r) => setTimeout(r, 1_000));
    }
  } finally {
    clearInterval(sweeper);
    await sweeping;
  }
  return views;
}
