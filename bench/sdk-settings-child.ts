/**
 * What each hot-path setting of the AWS SDK clients (core/aws/clients.ts) buys: the client CPU and
 * wall time per request of a consistent GetItem and of a PartiQL BatchExecuteStatement of 25
 * conditional UPDATEs, against the emulator, for the SDK's defaults, each setting alone and all of
 * them (the worker's clients). Sequential requests, so wall time is one request's latency.
 *
 * Env: AWS_ENDPOINT_URL and credentials. Reports { type: 'result', variants } over IPC.
 */
import { BatchExecuteStatementCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { hotPathConfig, trimMiddleware, type HotPathOptions } from '../core/aws/clients';
import { ensureTable, round } from './common';

const TABLE = 'bench-sdk-settings';
const REQUESTS = Number(process.argv[2] ?? 300);
const BATCHES = Math.max(20, Math.round(REQUESTS / 10));

const VARIANTS: { name: string; options?: HotPathOptions }[] = [
  { name: 'SDK defaults' },
  { name: 'keep-alive only', options: { keepAlive: true, withoutLogger: false, withoutUserAgent: false, retryMode: 'standard' } },
  { name: 'no logger middleware only', options: { keepAlive: false, withoutLogger: true, withoutUserAgent: false, retryMode: 'standard' } },
  { name: 'no user-agent middleware only', options: { keepAlive: false, withoutLogger: false, withoutUserAgent: true, retryMode: 'standard' } },
  { name: 'all (the worker: keep-alive, 64 sockets, no logger or user-agent middleware, adaptive retries)', options: {} },
];

function clientFor(options: HotPathOptions | undefined): { raw: DynamoDBClient; doc: DynamoDBDocumentClient } {
  if (!options) {
    const raw = new DynamoDBClient({});
    return { raw, doc: DynamoDBDocumentClient.from(raw) };
  }
  const raw = trimMiddleware(new DynamoDBClient(hotPathConfig(options)), options);
  return { raw, doc: trimMiddleware(DynamoDBDocumentClient.from(raw), options) };
}

async function measure(n: number, fn: (i: number) => Promise<unknown>): Promise<{ cpuMicros: number; wallMs: number }> {
  for (let i = 0; i < 10; i++) await fn(i); // warm: sockets, credentials, endpoint resolution
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await fn(i);
  const cpu = process.cpuUsage(cpu0);
  return { cpuMicros: round((cpu.user + cpu.system) / n, 0), wallMs: round(Number(process.hrtime.bigint() - t0) / 1e6 / n, 2) };
}

async function main(): Promise<void> {
  const setup = clientFor(undefined);
  await ensureTable(setup.raw, TABLE);
  const keys = Array.from({ length: 25 }, (_, i) => ({ pk: `MSG#sdk-${i}`, sk: 'MSG' }));
  await setup.doc.send(new BatchWriteCommand({ RequestItems: { [TABLE]: keys.map((k) => ({ PutRequest: { Item: { ...k, status: 'ROUTED', n: 0, text: 'Your code is 123456. It expires in 10 minutes.' } } })) } }));
  let variants: { name: string; getItem: { cpuMicros: number; wallMs: number }; batchExecuteStatement25: { cpuMicros: number; wallMs: number } }[] = [];
  // Twice over, the second round kept: the first pays for JIT warm-up, whichever variant runs first.
  for (let round = 0; round < 2; round++) {
  variants = [];
  for (const v of VARIANTS) {
    const { raw, doc } = clientFor(v.options);
    const get = await measure(REQUESTS, (i) => doc.send(new GetCommand({ TableName: TABLE, Key: keys[i % keys.length]!, ConsistentRead: true })));
    const batch = await measure(BATCHES, (i) =>
      raw.send(
        new BatchExecuteStatementCommand({
          Statements: keys.map((k) => ({
            Statement: `UPDATE "${TABLE}" SET n = ? WHERE pk = ? AND sk = ? AND status = ?`,
            Parameters: [{ N: String(i) }, { S: k.pk }, { S: k.sk }, { S: 'ROUTED' }],
          })),
        }),
      ),
    );
    variants.push({ name: v.name, getItem: get, batchExecuteStatement25: batch });
    raw.destroy();
  }
  }
  process.send?.({ type: 'result', requests: REQUESTS, batches: BATCHES, variants }, () => process.exit(0));
}

main().catch((err: unknown) => {
  process.send?.({ type: 'error', message: `sdk settings: ${(err as Error).message}` }, () => process.exit(1));
});
