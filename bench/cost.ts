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
  dynamodbWritesPerMessage: number;
  dynamodbWriteUnitsPerMessage: number;
  fixedMonthly: { item: string; dollars: number }[];
  fixedMonthlyTotal: number;
  messageItemBytes: number;
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

/** A representative message item as the table holds it once DELIVERED (the largest it gets). */
function deliveredItem(): Record<string, unknown> {
  const at = '2026-01-01T12:00:00.000Z';
  const id = '0193f1a2-7b4c-8d5e-9f60-123456789abc';
  return {
    pk: `MSG#${id}`, sk: 'MSG', kind: 'message', id, tenantId: 'acme', status: 'DELIVERED', to: '+447400123456', country: 'GB', from: 'Acme',
    text: 'Your code is 123456. It expires in 10 minutes.', type: 'transactional', encoding: 'GSM7', segments: 1,
    validUntil: at, createdAt: at, updatedAt: at, attempt: 1, carrierId: 'sim-a', requestHash: 'a'.repeat(64), expiresAt: 1767225600,
    history: [
      { status: 'ACCEPTED', at },
      { status: 'ROUTED', at, carrierId: 'sim-a', attempt: 1, reason: 'route uk: first healthy carrier' },
      { status: 'SUBMITTED', at, carrierId: 'sim-a' },
      { status: 'DELIVERED', at },
    ],
    smscIds: ['1000000'], segmentReceipts: {}, submittedAt: at, dueAt: at,
    receipt: { state: 'DELIVERED', receivedAt: at, doneAt: at },
  };
}

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
  const itemBytes = itemSize(deliveredItem());
  const wru = Math.max(1, Math.ceil(itemBytes / 1024));
  const w = (op: string): number => inputs.workerCallsPerMessage[op] ?? 0;
  // The SMSC-id mapping item (1 per segment) is small: 1 WRU; the other worker updates rewrite the message item.
  const mappingAndMessageWrus = w('dynamodb.UpdateItem') > 0 ? 1 + (w('dynamodb.UpdateItem') - 1) * wru : 0;
  const callMs = Math.max(5, inputs.apiSingleMs); // one AWS request + handler overhead (API single submit = one PutItem)
  const statusEvents = 4; // ACCEPTED, ROUTED, SUBMITTED, DELIVERED: one FIFO publish each
  const streamRecords = 5; // message INSERT, ROUTED, SMSC-id mapping INSERT, SUBMITTED, DELIVERED (the outbox filter passes every INSERT/MODIFY)
  const fifo = perReq(p('sqsFifoPerMillionRequests'));
  const wrUnit = perReq(p('dynamodbOnDemandPerMillionWriteUnits'));
  const rrUnit = perReq(p('dynamodbOnDemandPerMillionReadUnits'));
  const logGb = p('cloudwatchLogsIngestionPerGb') / 1024 ** 3;
  const apiRequests = { single: 1, batch: 1 / 100 }; // per message: a batch request carries 100

  const steps: CostStep[] = [
    { step: 'API Gateway REST request', service: 'API Gateway', ...apiRequests, unit: 'request', unitPrice: perReq(p('apiGatewayRestPerMillionRequests')), source: 'computed' },
    { step: 'api λ invocation', service: 'Lambda', single: 1, batch: 1 / 100, unit: 'request', unitPrice: perReq(p('lambdaPerMillionRequests')), source: 'computed' },
    { step: `api λ duration (${inputs.apiSingleMs} ms single, ${inputs.apiBatchMs} ms per 100; 256 MB)`, service: 'Lambda', single: gbs(inputs.apiSingleMs), batch: gbs(inputs.apiBatchMs) / 100, unit: 'GB-s', unitPrice: lambdaGbS, source: inputs.apiSource.startsWith('measured') ? 'measured' : 'estimated' },
    { step: 'api UpdateItem (tenant request count, one per request)', service: 'DynamoDB', single: 1, batch: 1 / 100, unit: 'WRU', unitPrice: wrUnit, source: 'computed' },
    { step: 'api PutItem (message, ACCEPTED)', service: 'DynamoDB', single: 1, batch: 1, unit: 'WRU', unitPrice: wrUnit, source: 'computed' },
    { step: `outbox λ invocations (${streamRecords} stream records/message, batches of 100)`, service: 'Lambda', single: streamRecords / 100, batch: streamRecords / 100, unit: 'request', unitPrice: perReq(p('lambdaPerMillionRequests')), source: 'computed' },
    { step: `outbox λ duration (1 SendMessage + ${statusEvents} Publish in sequence, ~${callMs} ms each)`, service: 'Lambda', single: gbs((1 + statusEvents) * callMs), batch: gbs((1 + statusEvents) * callMs), unit: 'GB-s', unitPrice: lambdaGbS, source: 'estimated' },
    { step: 'outbox SendMessage → ingest FIFO', service: 'SQS', single: 1, batch: 1, unit: 'request', unitPrice: fifo, source: 'computed' },
    { step: `status events: SNS FIFO publishes (${statusEvents} transitions)`, service: 'SNS', single: statusEvents, batch: statusEvents, unit: 'request', unitPrice: perReq(p('snsFifoPerMillionPublishes')), source: 'computed' },
    { step: 'status events: SNS FIFO payload (~0.6 KB each)', service: 'SNS', single: (statusEvents * 600) / 1024 ** 3, batch: (statusEvents * 600) / 1024 ** 3, unit: 'GB', unitPrice: p('snsFifoPerGbPayload'), source: 'estimated' },
    { step: 'router: ingest receive + delete batch (10 per batch)', service: 'SQS', single: 0.2, batch: 0.2, unit: 'request', unitPrice: fifo, source: 'computed' },
    { step: 'router λ invocations (batches of 10)', service: 'Lambda', single: 0.1, batch: 0.1, unit: 'request', unitPrice: perReq(p('lambdaPerMillionRequests')), source: 'computed' },
    { step: 'router λ duration (UpdateItem + SendMessage, records in parallel)', service: 'Lambda', single: gbs(2 * callMs) / 10, batch: gbs(2 * callMs) / 10, unit: 'GB-s', unitPrice: lambdaGbS, source: 'estimated' },
    { step: 'router UpdateItem (ROUTED)', service: 'DynamoDB', single: 1, batch: 1, unit: 'WRU', unitPrice: wrUnit, source: 'computed' },
    { step: 'router SendMessage → carrier FIFO', service: 'SQS', single: 1, batch: 1, unit: 'request', unitPrice: fifo, source: 'computed' },
    { step: 'worker ReceiveMessage', service: 'SQS', single: w('sqs.ReceiveMessage'), batch: w('sqs.ReceiveMessage'), unit: 'request', unitPrice: fifo, source: 'measured' },
    { step: 'worker DeleteMessageBatch (up to 10 per request)', service: 'SQS', single: w('sqs.DeleteMessageBatch'), batch: w('sqs.DeleteMessageBatch'), unit: 'request', unitPrice: fifo, source: 'measured' },
    { step: 'worker + receipt GetItem (consistent, ≤4 KB)', service: 'DynamoDB', single: w('dynamodb.GetItem'), batch: w('dynamodb.GetItem'), unit: 'RRU', unitPrice: rrUnit, source: 'measured' },
    { step: `worker + receipt UpdateItem (mapping; SUBMITTED, DELIVERED at ${wru} WRU each)`, service: 'DynamoDB', single: mappingAndMessageWrus, batch: mappingAndMessageWrus, unit: 'WRU', unitPrice: wrUnit, source: 'measured' },
    { step: `webhook queue: ${statusEvents} SNS→SQS FIFO sends + receive/delete (10 per batch)`, service: 'SQS', single: statusEvents * 1.2, batch: statusEvents * 1.2, unit: 'request', unitPrice: fifo, source: 'computed' },
    { step: 'webhook λ invocations (batches of 10; no callback URL: ~2 ms per event)', service: 'Lambda', single: statusEvents / 10, batch: statusEvents / 10, unit: 'request', unitPrice: perReq(p('lambdaPerMillionRequests')), source: 'computed' },
    { step: 'webhook λ duration', service: 'Lambda', single: gbs(statusEvents * 2), batch: gbs(statusEvents * 2), unit: 'GB-s', unitPrice: lambdaGbS, source: 'estimated' },
    {
      step: `CloudWatch Logs: worker ${inputs.workerLogBytesPerMessage} B + api ${Math.round(inputs.apiLogBytesSingle)} B (batch ${Math.round(inputs.apiLogBytesBatch / 100)} B) + other λ ~1.5 KB`,
      service: 'CloudWatch',
      single: inputs.workerLogBytesPerMessage + inputs.apiLogBytesSingle + 1536,
      batch: inputs.workerLogBytesPerMessage + inputs.apiLogBytesBatch / 100 + 1536,
      unit: 'byte',
      unitPrice: logGb,
      source: 'estimated',
    },
    {
      step: 'NAT gateway data: worker AWS requests (~1.5 KB each, no VPC endpoints) + SMPP (~0.5 KB)',
      service: 'NAT gateway',
      single: (Object.values(inputs.workerCallsPerMessage).reduce((a, b) => a + b, 0) * 1536 + 512) / 1024 ** 3,
      batch: (Object.values(inputs.workerCallsPerMessage).reduce((a, b) => a + b, 0) * 1536 + 512) / 1024 ** 3,
      unit: 'GB',
      unitPrice: p('natGatewayPerGbProcessed'),
      source: 'estimated',
    },
  ];
  const perMillion = { single: 0, batch: 0 };
  const byService: Record<string, { single: number; batch: number }> = {};
  for (const s of steps) {
    const single = s.single * s.unitPrice * 1e6;
    const batch = s.batch * s.unitPrice * 1e6;
    perMillion.single += single;
    perMillion.batch += batch;
    const b = (byService[s.service] ??= { single: 0, batch: 0 });
    b.single += single;
    b.batch += batch;
  }
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
  // api request count (single submission) + api PutItem + router UpdateItem + the worker's (mapping, SUBMITTED, receipt → DELIVERED).
  const dynamodbWritesPerMessage = 3 + w('dynamodb.UpdateItem');
  const hours = p('hoursPerMonth');
  const heartbeatWrites = 2 * ((hours * 3600) / 5); // 2 carriers, every 5 s
  const fixedMonthly = [
    { item: 'Fargate arm64 task, 0.5 vCPU / 1 GB', dollars: 0.5 * hours * p('fargateArm64PerVcpuHour') + 1 * hours * p('fargateArm64PerGbHour') },
    { item: 'NAT gateway (hours)', dollars: hours * p('natGatewayPerHour') },
    { item: 'Secrets Manager: 2 carrier passwords + 2 tenant webhook secrets', dollars: 4 * p('secretsManagerPerSecretMonth') },
    { item: 'custom metrics (EMF): ~19 names x ~2 dimension values', dollars: 38 * p('cloudwatchCustomMetricPerMonth') },
    { item: 'heartbeats: 2 carriers x PutItem every 5 s (the outbox filter drops their stream records)', dollars: heartbeatWrites * wrUnit },
    { item: 'idle long polls: 5 Lambda pollers x 2 queues + worker, every 20 s', dollars: 11 * ((hours * 3600) / 20) * fifo },
    { item: 'sweeper: 1 invocation/min', dollars: hours * 60 * (perReq(p('lambdaPerMillionRequests')) + gbs(50) * lambdaGbS) },
  ].map((f) => ({ item: f.item, dollars: round(f.dollars, 2) }));
  return {
    steps,
    perMillion: { single: round(perMillion.single, 2), batch: round(perMillion.batch, 2) },
    byService,
    asHttpApi,
    dynamodbWritesPerMessage: round(dynamodbWritesPerMessage, 2),
    dynamodbWriteUnitsPerMessage: round(2 + wru + mappingAndMessageWrus, 2),
    fixedMonthly,
    fixedMonthlyTotal: round(fixedMonthly.reduce((a, f) => a + f.dollars, 0), 2),
    messageItemBytes: itemBytes,
    assumptions: [
      'computed from the code paths at sustained volume: Lambda event-source batches full (stream 100, SQS 10); at low volume every batch holds fewer records and invocations/requests per message rise',
      `worker requests per message: ${inputs.workerCallsSource}`,
      `api λ duration: ${inputs.apiSource}; other λ durations estimated as sequential AWS requests x ${callMs} ms`,
      `message item when DELIVERED ≈ ${itemBytes} B → ${wru} WRU per write of it (SMSC-id mapping item < 1 KB)`,
      'prices: bench/prices.json',
    ],
  };
}
