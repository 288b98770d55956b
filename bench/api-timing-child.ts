/**
 * Times the API Lambda's handler in-process (MiniStack reports no Lambda durations): the
 * bundle built like the CDK builds it, called with API Gateway proxy events, its one
 * DynamoDB table a bench-owned one on the emulator (no stream, so nothing downstream
 * runs). The durations include the emulator's request latency in place of DynamoDB's.
 *
 * Args: bundle path, runs. Env: AWS endpoint + credentials, TABLE_NAME.
 * Reports { type: 'result', singleMs, batchMs, singleLogBytes, batchLogBytes }.
 */
import { median, round } from './common';

const [bundle, runsArg] = process.argv.slice(2);
const runs = Number(runsArg ?? 10);

function event(path: string, body: unknown): Record<string, unknown> {
  return {
    httpMethod: 'POST',
    path,
    resource: '/{proxy+}',
    pathParameters: { proxy: path.slice(1) },
    headers: { 'x-api-key': 'dev-acme-key-0123456789', 'content-type': 'application/json' },
    queryStringParameters: null,
    body: JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: { stage: 'live', requestId: 'bench', httpMethod: 'POST', path },
  };
}

const message = (i: number) => ({ to: `+4474001${String(i % 100000).padStart(5, '0')}`, text: 'Your code is 123456. It expires in 10 minutes.' });

async function main(): Promise<void> {
  // Count what the handler logs (CloudWatch Logs ingestion is billed per GB).
  let logBytes = 0;
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    logBytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stdout.write;
  const { handler } = require(bundle!) as { handler: (e: unknown, c: unknown) => Promise<{ statusCode: number; body: string }> };
  const context = { functionName: 'api', awsRequestId: 'bench', getRemainingTimeInMillis: () => 15_000 };
  // Warm up (first call opens connections), then time.
  await handler(event('/v1/messages', message(0)), context);
  const single: number[] = [];
  logBytes = 0;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const res = await handler(event('/v1/messages', message(i)), context);
    single.push(performance.now() - t);
    if (res.statusCode !== 202) throw new Error(`single submit answered ${res.statusCode}: ${res.body.slice(0, 200)}`);
  }
  const singleLogBytes = logBytes / runs;
  const batch: number[] = [];
  const batchRuns = Math.max(2, Math.ceil(runs / 5));
  logBytes = 0;
  for (let i = 0; i < batchRuns; i++) {
    const t = performance.now();
    const res = await handler(event('/v1/messages/batch', { messages: Array.from({ length: 100 }, (_, k) => message(i * 100 + k)) }), context);
    batch.push(performance.now() - t);
    if (res.statusCode !== 202) throw new Error(`batch submit answered ${res.statusCode}: ${res.body.slice(0, 200)}`);
  }
  const batchLogBytes = logBytes / batchRuns;
  process.send?.({ type: 'result', singleMs: round(median(single), 1), batchMs: round(median(batch), 1), singleLogBytes, batchLogBytes, runs, batchRuns }, () => process.exit(0));
}

main().catch((err: unknown) => {
  process.send?.({ type: 'error', message: `api timing: ${(err as Error).message}` }, () => process.exit(1));
});
