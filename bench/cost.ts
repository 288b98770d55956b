/**
 * Cost per million delivered single-segment messages, computed from the code paths (the
 * Lambdas run inside the emulator, which reports neither their requests nor durations), with
 * the worker's own requests and log bytes as measured by the throughput run, and the API
 * Lambda's duration measured in-process. Every step says where its count comes from.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { round } from './common';

export type Prices = Record<string, number | string>;

export function loadPrices(): Prices {
  return JSON.parse(readFileSync(join(__dirname, 'prices.json'), 'utf8')) as Prices;
}

export interface CostInputs {
  /** Worker requests per delivered message, by "service.Operation" (measured). */
  workerCallsPerMessage: Record<string, number>;
  /** Items the worker wrote per delivered message, by kind: message, mapping, other (measured). */
  workerWritesPerMessage: Record<string, number>;
  workerCallsSource: string;
  workerLogBytesPerMessage: number;
  /** API Lambda handler duration (measured in-process, or assumed when the emulator is down). */
  apiSingleMs: number;
  apiBatchMs: number;
  apiLogBytesSingle: number;
  apiLogBytesBatch: number;
  apiSource: string;
}

export interface CostStep {
  step: string;
  service: string;
  single: number;
  batch: number;
  unit: string;
  /** $ per unit (per request, per GB-s, per GB, per write unit). */
  unitPrice: number;
  source: 'measured' | 'computed' | 'estimated';
}

export interface CostResult {
  steps: CostStep[];
  perMillion: { single: number; batch: number };
  byService: Record<string, { single: number; batch: number }>;
  /**
   * The same API requests priced as an HTTP API, which the stack does not deploy (why:
   * docs/design.md#a-rest-api-not-an-http-api): its API Gateway line and the totals with it.
   */
  asHttpApi: { apiGateway: { single: number; batch: number }; perMillion: { single: number; batch: number } };
  /** What a message with a callback URL adds: its four status events published, queued and POSTed. */
  withWebhooks: { perMillion: { single: number; batch: number } };
  /** WRU from API to DELIVERED: the tenant's request count, the api's put, the worker's item writes, the outbox's usage write (a tenant without caps). */
  writeUnits: { single: number; batch: number; parts: string };
  fixedMonthly: { item: string; dollars: number }[];
  fixedMonthlyTotal: number;
  /** The message item at its largest (DELIVERED), by text length, with retainText off and on. */
  itemBytes: { text: number; retainText: boolean; bytes: number }[];
  assumptions: string[];
}

/** DynamoDB item size: attribute names + values (strings UTF-8, numbers ~ digits/2+1, lists/maps +3 and +1 per element). */
export function itemSize(value: unknown, name = ''): number {
  const n = Buffer.byteLength(name);
  if (typeof value === 'string') return n + Buffer.byteLength(value);
  if (typeof value === 'number') return n + Math.ceil(String(value).replace(/[-.]/g, '').length / 2) + 1;
  if (typeof value === 'boolean' || value === null) return n + 1;
  if (Array.isArray(value)) return n + 3 + value.reduce((s: number, v) => s + 1 + itemSize(v), 0);
  if (typeof value === 'object') return n + 3 + Object.entries(value as Record<string, unknown>).reduce((s, [k, v]) => s + 1 + itemSize(v, k), 0);
  return n;
}

/** The 47-character OTP text the bench sends, and a full single GSM-7 segment. */
export const TEXTS = { otp: 'Your code is 123456. It expires in 10 minutes.!', full: 'x'.repeat(160) };

/**
 * A representative message item as the table holds it (submitted without an Idempotency-Key: no
 * requestHash). `stage` 'accepted' is the api's put (ROUTED for attempt 1, with the text); 'delivered'
 * the largest it gets, the text gone unless retainText.
 */
export function messageItem(text: string, stage: 'accepted' | 'delivered', retainText = false): Record<string, unknown> {
  const at = '2026-01-01T12:00:00.000Z';
  const id = '0193f1a2-7b4c-8d5e-9f60-123456789abc';
  const routed = { status: 'ROUTED', at, carrierId: 'sim-a', attempt: 1, reason: 'route uk: first healthy carrier' };
  const base = {
    pk: `MSG#${id}`, sk: 'MSG', kind: 'message', id, tenantId: 'acme', to: '+447400123456', country: 'GB', from: 'Acme',
    type: 'transactional', encoding: 'GSM7', segments: 1, validUntil: at, createdAt: at, updatedAt: at, attempt: 1, carrierId: 'sim-a', expiresAt: 1767225600, dueShard: 3, dueAt: at,
  };
  if (stage === 'accepted') return { ...base, status: 'ROUTED', text, history: [{ status: 'ACCEPTED', at }, routed] };
  return {
    ...base, status: 'DELIVERED', ...(retainText ? { text } : {}),
    history: [{ status: 'ACCEPTED', at }, routed, { status: 'SUBMITTED', at, carrierId: 'sim-a' }, { status: 'DELIVERED', at }],
    smscIds: ['1000000'], segmentReceipts: {}, submittedAt: at, receipt: { state: 'DELIVERED', receivedAt: at, doneAt: at },
  };
}

const wruOf = (bytes: number): number => Math.max(1, Math.ceil(bytes / 1024));

export function computeCost(prices: Prices, inputs: CostInputs): CostResult {
  const p = (k: string): number => {
    const v = prices[k];
    if (typeof v !== 'number') throw new Error(`bench/prices.json: ${k} is missing`);
    return v;
  };
  const perReq = (perMillion: number): number => perMillion / 1e6;
  const lambdaGbS = p('lambdaArm64PerGbSecond');
  const memGb = 256 / 1024; // GatewayFunction default memorySize
  const gbs = (ms: number): number => memGb * (Math.ceil(ms) / 1000); // billed per 1 ms
  const putWru = wruOf(itemSize(messageItem(TEXTS.otp, 'accepted')));
  const messageWru = wruOf(itemSize(messageItem(TEXTS.otp, 'delivered')));
  const w = (op: string): number => inputs.workerCallsPerMessage[op] ?? 0;
  const written = (kind: string): number => inputs.workerWritesPerMessage[kind] ?? 0;
  const workerWru = written('message') * messageWru + written('mapping') + written('other');
  // The put's entry in the list index (GET /v1/messages): keys, to and from, < 1 KB; no status change writes it again.
  const listIndexWru = 1;
  const callMs = Math.max(5, inputs.apiSingleMs); // one AWS request + handler overhead (API single submit = one PutItem)
  // Stream records the outbox gets per message: the api's INSERT and each worker change of the message item
  // (its filter drops mapping items and heartbeats before Lambda is invoked).
  const streamRecords = 1 + written('message');
  // The outbox's usage write (new messages of tenants without caps, final statuses): one per tenant and day
  // in an invocation of up to 100 records. A tenant with caps adds 1 WRU per request at the api (2 with a monthly cap).
  const statusWrites = streamRecords / 100;
  const fifo = perReq(p('sqsFifoPerMillionRequests'));
  const wrUnit = perReq(p('dynamodbOnDemandPerMillionWriteUnits'));
  const rrUnit = perReq(p('dynamodbOnDemandPerMillionReadUnits'));
  const logGb = p('cloudwatchLogsIngestionPerGb') / 1024 ** 3;
  const apiRequests = { single: 1, batch: 1 / 100 }; // per message: a batch request carries 100
  const workerRequests = Object.values(inputs.workerCallsPerMessage).reduce((a, b) => a + b, 0);
  const same = (n: number) => ({ single: n, batch: n });

  const steps: CostStep[] = [
    { step: 'API Gateway REST request', service: 'API Gateway', ...apiRequests, unit: 'request', unitPrice: perReq(p('apiGatewayRestPerMillionRequests')), source: 'computed' },
    { step: 'api λ invocation', service: 'Lambda', ...apiRequests, unit: 'request', unitPrice: perReq(p('lambdaPerMillionRequests')), source: 'computed' },
    { step: `api λ duration (${inputs.apiSingleMs} ms single, ${inputs.apiBatchMs} ms per 100; 256 MB)`, service: 'Lambda', single: gbs(inputs.apiSingleMs), batch: gbs(inputs.apiBatchMs) / 100, unit: 'GB-s', unitPrice: lambdaGbS, source: inputs.apiSource.startsWith('measured') ? 'measured' : 'estimated' },
    { step: 'api UpdateItem (tenant request count, one per request)', service: 'DynamoDB', ...apiRequests, unit: 'WRU', unitPrice: wrUnit, source: 'computed' },
    { step: `api PutItem (message, ROUTED for attempt 1; ${putWru} WRU)`, service: 'DynamoDB', ...same(putWru), unit: 'WRU', unitPrice: wrUnit, source: 'computed' },
    { step: 'list index entry of the put (GET /v1/messages: keys, to, from; written once)', service: 'DynamoDB', ...same(listIndexWru), unit: 'WRU', unitPrice: wrUnit, source: 'computed' },
    { step: `outbox λ invocations (${round(streamRecords, 2)} stream records/message, batches of 100)`, service: 'Lambda', ...same(streamRecords / 100), unit: 'request', unitPrice: perReq(p('lambdaPerMillionRequests')), source: 'computed' },
    { step: `outbox λ duration (a batch: SendMessageBatch rounds, ~2 requests in sequence of ~${callMs} ms)`, service: 'Lambda', ...same((gbs(2 * callMs) * streamRecords) / 100), unit: 'GB-s', unitPrice: lambdaGbS, source: 'estimated' },
    { step: 'outbox UpdateItem (usage: new messages and final statuses, one per tenant and day per invocation)', service: 'DynamoDB', ...same(statusWrites), unit: 'WRU', unitPrice: wrUnit, source: 'computed' },
    { step: 'outbox SendMessageBatch → carrier FIFO (10 a request)', service: 'SQS', ...same(0.1), unit: 'request', unitPrice: fifo, source: 'computed' },
    { step: 'worker ReceiveMessage', service: 'SQS', ...same(w('sqs.ReceiveMessage')), unit: 'request', unitPrice: fifo, source: 'measured' },
    { step: 'worker DeleteMessageBatch (up to 10 per request)', service: 'SQS', ...same(w('sqs.DeleteMessageBatch')), unit: 'request', unitPrice: fifo, source: 'measured' },
    { step: 'worker guard reads: BatchGetItem, 1 consistent RRU per message read', service: 'DynamoDB', ...same(1 + w('dynamodb.GetItem')), unit: 'RRU', unitPrice: rrUnit, source: 'measured' },
    {
      step: `worker item writes (message ${round(written('message'), 3)} × ${messageWru} WRU, mapping ${round(written('mapping'), 3)}, other ${round(written('other'), 3)})`,
      service: 'DynamoDB',
      ...same(workerWru),
      unit: 'WRU',
      unitPrice: wrUnit,
      source: 'measured',
    },
    {
      step: `CloudWatch Logs: worker ${inputs.workerLogBytesPerMessage} B + api ${Math.round(inputs.apiLogBytesSingle)} B (batch ${Math.round(inputs.apiLogBytesBatch / 100)} B) + outbox one ~500 B line per invocation`,
      service: 'CloudWatch',
      single: inputs.workerLogBytesPerMessage + inputs.apiLogBytesSingle + (500 * streamRecords) / 100,
      batch: inputs.workerLogBytesPerMessage + inputs.apiLogBytesBatch / 100 + (500 * streamRecords) / 100,
      unit: 'byte',
      unitPrice: logGb,
      source: 'estimated',
    },
    {
      step: 'NAT gateway data: worker AWS requests (~1.5 KB each, no VPC endpoints) + SMPP (~0.5 KB)',
      service: 'NAT gateway',
      ...same((workerRequests * 1536 + 512) / 1024 ** 3),
      unit: 'GB',
      unitPrice: p('natGatewayPerGbProcessed'),
      source: 'estimated',
    },
  ];
  // A message with a callback URL: its 4 status events (ACCEPTED, ROUTED, SUBMITTED, DELIVERED) published
  // in PublishBatch requests (one 64 KB chunk each), fanned out to the webhook FIFO queue and POSTed.
  const statusEvents = 4;
  const webhookSteps: CostStep[] = [
    { step: `status events: SNS FIFO PublishBatch (${statusEvents} events, 10 a request)`, service: 'SNS', ...same(statusEvents / 10), unit: 'request', unitPrice: perReq(p('snsFifoPerMillionPublishes')), source: 'computed' },
    { step: 'status events: SNS FIFO payload (~0.6 KB each)', service: 'SNS', ...same((statusEvents * 600) / 1024 ** 3), unit: 'GB', unitPrice: p('snsFifoPerGbPayload'), source: 'estimated' },
    { step: `webhook queue: ${statusEvents} SNS→SQS FIFO sends + receive/delete (10 per batch)`, service: 'SQS', ...same(statusEvents * 1.2), unit: 'request', unitPrice: fifo, source: 'computed' },
    { step: 'webhook λ invocations (batches of 10)', service: 'Lambda', ...same(statusEvents / 10), unit: 'request', unitPrice: perReq(p('lambdaPerMillionRequests')), source: 'computed' },
    { step: 'webhook λ duration (~50 ms per POST)', service: 'Lambda', ...same(gbs(statusEvents * 50)), unit: 'GB-s', unitPrice: lambdaGbS, source: 'estimated' },
  ];
  const total = (list: CostStep[]) => {
    const out = { single: 0, batch: 0 };
    for (const s of list) {
      out.single += s.single * s.unitPrice * 1e6;
      out.batch += s.batch * s.unitPrice * 1e6;
    }
    return out;
  };
  const perMillion = total(steps);
  const byService: Record<string, { single: number; batch: number }> = {};
  for (const s of steps) {
    const b = (byService[s.service] ??= { single: 0, batch: 0 });
    b.single += s.single * s.unitPrice * 1e6;
    b.batch += s.batch * s.unitPrice * 1e6;
  }
  const hooks = total(webhookSteps);
  // An HTTP API meters each 512 KB of a request as one request: a batch of 100 short messages (~20 KB) is one.
  const rest = byService['API Gateway']!; // the REST line, not rounded yet
  const http = { single: apiRequests.single * p('apiGatewayHttpPerMillionRequests'), batch: apiRequests.batch * p('apiGatewayHttpPerMillionRequests') };
  const asHttpApi = {
    apiGateway: { single: round(http.single, 3), batch: round(http.batch, 3) },
    perMillion: { single: round(perMillion.single - rest.single + http.single, 2), batch: round(perMillion.batch - rest.batch + http.batch, 2) },
  };
  for (const b of Object.values(byService)) {
    b.single = round(b.single, 3);
    b.batch = round(b.batch, 3);
  }
  const writeUnits = {
    single: round(apiRequests.single + putWru + listIndexWru + workerWru + statusWrites, 2),
    batch: round(apiRequests.batch + putWru + listIndexWru + workerWru + statusWrites, 2),
    parts: `request count 1 (batch 0.01) + put ${putWru} + its list index entry ${listIndexWru} + outbox usage ${round(statusWrites, 2)} (a tenant with caps: +1 per request at the api) + worker ${round(workerWru, 2)} (message writes ${round(written('message'), 2)} × ${messageWru}, mappings ${round(written('mapping'), 3)}, other ${round(written('other'), 3)})`,
  };
  const hours = p('hoursPerMonth');
  const tasks = 2; // worker.desiredCount's default
  const every5s = (hours * 3600) / 5;
  const heartbeatWrites = 2 * tasks * every5s; // 2 carriers, each task, every 5 s
  const fixedMonthly = [
    { item: `Fargate arm64 tasks: ${tasks} (worker.desiredCount) x 0.5 vCPU / 1 GB`, dollars: tasks * (0.5 * hours * p('fargateArm64PerVcpuHour') + 1 * hours * p('fargateArm64PerGbHour')) },
    { item: 'NAT gateway (hours)', dollars: hours * p('natGatewayPerHour') },
    { item: 'Secrets Manager: 2 carrier passwords + 2 tenant webhook secrets', dollars: 4 * p('secretsManagerPerSecretMonth') },
    { item: 'custom metrics (EMF): ~19 names x ~2 dimension values', dollars: 38 * p('cloudwatchCustomMetricPerMonth') },
    { item: `heartbeats: 2 carriers x ${tasks} tasks x PutItem every 5 s (the outbox filter drops their stream records)`, dollars: heartbeatWrites * wrUnit },
    {
      item: `bind leases: 2 carriers x 1 bind, a renewal every 5 s by its holder, a read a second by the standby, and a heartbeat Query per carrier and task every 5 s to spread the binds (0.5 RRU)`,
      dollars: 2 * every5s * wrUnit + 2 * hours * 3600 * 0.5 * rrUnit + 2 * tasks * every5s * 0.5 * rrUnit,
    },
    { item: 'carrier health: a Query per carrier every 5 s per warm api and router instance (2 carriers, ~2 instances, 0.5 RRU)', dollars: 2 * 2 * ((hours * 3600) / 5) * 0.5 * rrUnit },
    { item: 'idle long polls: 5 Lambda pollers x 2 queues + worker, every 20 s', dollars: 11 * ((hours * 3600) / 20) * fifo },
    { item: 'sweeper: 1 invocation/min', dollars: hours * 60 * (perReq(p('lambdaPerMillionRequests')) + gbs(50) * lambdaGbS) },
  ].map((f) => ({ item: f.item, dollars: round(f.dollars, 2) }));
  const itemBytes = [TEXTS.otp, TEXTS.full].flatMap((text) => [false, true].map((retainText) => ({ text: text.length, retainText, bytes: itemSize(messageItem(text, 'delivered', retainText)) })));
  return {
    steps: [...steps, ...webhookSteps],
    perMillion: { single: round(perMillion.single, 2), batch: round(perMillion.batch, 2) },
    byService,
    asHttpApi,
    withWebhooks: { perMillion: { single: round(perMillion.single + hooks.single, 2), batch: round(perMillion.batch + hooks.batch, 2) } },
    writeUnits,
    fixedMonthly,
    fixedMonthlyTotal: round(fixedMonthly.reduce((a, f) => a + f.dollars, 0), 2),
    itemBytes,
    assumptions: [
      'computed from the code paths at sustained volume: Lambda event-source batches full (stream 100, SQS 10); at low volume every batch holds fewer records and invocations/requests per message rise',
      'a message without a callback URL (statusEvents.publish: callbacks, the default): no status event is published; withWebhooks adds what one with a callback URL costs',
      `worker requests and item writes per message: ${inputs.workerCallsSource}`,
      `api λ duration: ${inputs.apiSource}; other λ durations estimated as sequential AWS requests x ${callMs} ms`,
      `message item: ${itemSize(messageItem(TEXTS.otp, 'accepted'))} B as the api puts it (${putWru} WRU), ${itemSize(messageItem(TEXTS.otp, 'delivered'))} B at its largest without the text (${messageWru} WRU per worker write); SMSC-id mapping item < 1 KB`,
      'prices: bench/prices.json',
    ],
  };
}
