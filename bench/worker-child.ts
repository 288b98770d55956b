/**
 * The gateway's SMPP worker in its own process, measured over one run of N messages
 * with receipts against a simulator on loopback. Two variants:
 *
 * - `memory`: CarrierConnection + CarrierWorker + deliverHandler (worker/deliver-handler.ts) exactly as
 *   the worker wires them, but the narrow store interfaces CarrierWorker takes
 *   (messages.transition, delivery.readRecords/recordSubmitted, scheduleRetry), the receipt side
 *   (DeliveryStore.applyReceipt) and the SQS client are in-memory stand-ins that count every
 *   call as the DynamoDB / SQS request the real adapter makes. Measures the worker's own cost.
 * - `emulator`: the real worker (startWorker from worker/main.ts) with its real DynamoDB and
 *   SQS adapters on the emulator: a bench-owned table and FIFO carrier queue, seeded with
 *   ROUTED records and carrier envelopes before the clock starts. SDK middleware on the
 *   worker's clients counts its requests.
 *
 * Args: mode port count. Env for emulator mode: AWS_ENDPOINT_URL and credentials.
 * Reports { type: 'result', ...ThroughputResult } over IPC; stdout (the worker's JSON logs) is
 * discarded by the parent but still written, as in production.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import { dynamo, sqs } from '../core/aws/clients';
import type { DeliveryStore, ReceiptResult, StoredReceipt, Submitted, SubmittedMessage } from '../core/aws/delivery-store';
import { MAPPING_DELAY_MS } from '../core/aws/pending-mappings';
import { Batcher } from '../core/util/batcher';
import type { InboundStore } from '../core/aws/inbound-store';
import type { MessageStore } from '../core/aws/message-store';
import { loadGatewayConfig } from '../core/config/load';
import type { CarrierConfig } from '../core/config/schema';
import type { CarrierEnvelope } from '../core/domain/envelopes';
import type { MessageRecord, MessageStatus } from '../core/domain/message';
import type { Receipt } from '../core/domain/receipt';
import { aggregateSegments, statusForReceipt } from '../core/domain/receipt-outcome';
import { planTransition, transitionAllowed, type TransitionOptions, type TransitionResult } from '../core/domain/transition';
import { CarrierWorker } from '../worker/carrier-worker';
import { deliverHandler } from '../worker/deliver-handler';
import { log as workerLog } from '../worker/log';
import { startWorker } from '../worker/main';
import { CarrierConnection } from '../worker/smpp/carrier-connection';
import { ensureTable, throughput, type ThroughputResult } from './common';
import { itemSize } from './cost';

type Mode = 'memory' | 'emulator';
const [modeArg, portArg, countArg] = process.argv.slice(2);
const mode = modeArg as Mode;
const port = Number(portArg);
const count = Number(countArg);
const TEXT = 'Your code is 123456. It expires in 10 minutes.';
/** Days a final record is kept (its TTL), as the in-memory store plans its changes. */
const RETENTION_DAYS = 30;

// The worker's JSON log lines are written as in production (CloudWatch Logs bills them per GB): count the bytes.
let logBytes = 0;
const stdoutWrite = process.stdout.write.bind(process.stdout);
process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
  logBytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
  return (stdoutWrite as (...a: unknown[]) => boolean)(chunk, ...rest);
}) as typeof process.stdout.write;

/** The local config's first carrier, pointed at the simulator: one bind, window 100, the schema's highest TPS. */
function benchCarrier(): CarrierConfig {
  const base = loadGatewayConfig().carriers[0]!;
  return { ...base, id: 'bench', host: '127.0.0.1', port, systemId: 'gw', password: 'secret', binds: 1, bindMode: 'transceiver', window: 100, tps: 10_000, receiptIdFormat: 'as-is' };
}

function records(carrierId: string): { record: MessageRecord; envelope: CarrierEnvelope }[] {
  const run = randomUUID().slice(0, 8);
  const now = new Date().toISOString();
  const validUntil = new Date(Date.now() + 86_400_000).toISOString();
  return Array.from({ length: count }, (_, i) => {
    const id = `${run}-${String(i).padStart(6, '0')}`;
    const to = `+4474001${String(i % 100000).padStart(5, '0')}`;
    const record: MessageRecord = {
      id,
      tenantId: 'acme',
      status: 'ROUTED',
      to,
      country: 'GB',
      from: 'Bench',
      text: TEXT,
      type: 'transactional',
      encoding: 'GSM7',
      segments: 1,
      validUntil,
      createdAt: now,
      updatedAt: now,
      attempt: 1,
      carrierId,
      history: [
        { status: 'ACCEPTED', at: now },
        { status: 'ROUTED', at: now, carrierId, attempt: 1, reason: 'route uk: first healthy carrier' },
      ],
    };
    const envelope: CarrierEnvelope = { v: 1, messageId: id, tenantId: 'acme', attempt: 1, carrierId, to, from: 'Bench', text: TEXT, encoding: 'GSM7', segments: 1, validUntil };
    return { record, envelope };
  });
}

// ---- memory variant -------------------------------------------------------------------

class Counter {
  readonly calls: Record<string, number> = {};
  /** Items written by kind (message, mapping), whatever request carried them. */
  readonly writes: Record<string, number> = {};
  add(name: string): void {
    this.calls[name] = (this.calls[name] ?? 0) + 1;
  }
  wrote(kind: 'message' | 'mapping' | 'other', n = 1): void {
    this.writes[kind] = (this.writes[kind] ?? 0) + n;
  }
}

/** An SQS stand-in answering the three commands CarrierWorker sends. */
class MemoryQueue {
  private readonly visible: Message[] = [];
  private readonly inFlight = new Map<string, Message>();
  constructor(private readonly counter: Counter) {}
  push(body: string): void {
    const id = randomUUID();
    this.visible.push({ MessageId: id, ReceiptHandle: id, Body: body, Attributes: { ApproximateReceiveCount: '1' } });
  }
  async send(command: unknown, options?: { abortSignal?: AbortSignal }): Promise<unknown> {
    if (command instanceof ReceiveMessageCommand) {
      this.counter.add('sqs.ReceiveMessage');
      if (this.visible.length === 0) {
        // A long poll on an empty queue: wait a little (or until aborted).
        await new Promise<void>((r) => {
          const t = setTimeout(r, 20);
          options?.abortSignal?.addEventListener('abort', () => (clearTimeout(t), r()), { once: true });
        });
      }
      const out = this.visible.splice(0, command.input.MaxNumberOfMessages ?? 1);
      for (const m of out) this.inFlight.set(m.ReceiptHandle!, m);
      return { Messages: out };
    }
    if (command instanceof DeleteMessageBatchCommand) {
      this.counter.add('sqs.DeleteMessageBatch');
      for (const e of command.input.Entries ?? []) this.inFlight.delete(e.ReceiptHandle!);
      return { Successful: (command.input.Entries ?? []).map((e) => ({ Id: e.Id })), Failed: [] };
    }
    if (command instanceof ChangeMessageVisibilityCommand) {
      this.counter.add('sqs.ChangeMessageVisibility');
      const m = this.inFlight.get(command.input.ReceiptHandle!);
      if (m) {
        this.inFlight.delete(command.input.ReceiptHandle!);
        const n = Number(m.Attributes?.ApproximateReceiveCount ?? '1') + 1;
        setTimeout(() => this.visible.push({ ...m, Attributes: { ApproximateReceiveCount: String(n) } }), (command.input.VisibilityTimeout ?? 0) * 1000);
      }
      return {};
    }
    throw new Error(`MemoryQueue: unexpected command ${(command as object).constructor.name}`);
  }
}

/**
 * The message table in memory: status changes by the store's own rule (planTransition, transitionAllowed),
 * the same item kinds as DeliveryStore (SMSC-id mappings with pendingReceipt), and the same
 * coalescing as its table pipe (Batcher, 20 ms, 100 keys a read, 25 statements a write;
 * receipts for messages this process submitted read nothing, and their mappings are written
 * only when the receipts take longer than the mapping delay): each batch counts as the one
 * request the real store sends for it.
 */
class MemoryStore {
  readonly messages = new Map<string, MessageRecord>();
  private readonly mappings = new Map<string, { messageId?: string; segment?: number; segments?: number; pendingReceipt?: StoredReceipt }>();
  /** Mappings not written yet, by key (DeliveryStore's MappingCache and PendingMappings). */
  private readonly pending = new Map<string, { open: Set<string>; settle: () => void; timer: NodeJS.Timeout | undefined }>();
  private readonly reads = new Batcher<string, void>({ maxWeight: 100, lingerMs: 20, flush: async (keys) => (this.counter.add('dynamodb.BatchGetItem'), keys.map(() => undefined)) });
  private readonly writes = new Batcher<number, void>({ maxWeight: 25, lingerMs: 20, weigh: (n) => n, flush: async (groups) => (this.counter.add('dynamodb.BatchExecuteStatement'), groups.map(() => undefined)) });
  delivered = 0;
  constructor(private readonly counter: Counter) {}

  /** DeliveryStore.readRecords: the group's keys, read with everything else read within 20 ms. */
  async readRecords(ids: string[]): Promise<Map<string, MessageRecord>> {
    await Promise.all(ids.map((id) => this.reads.add(id)));
    return new Map(ids.flatMap((id) => {
      const r = this.messages.get(id);
      return r ? [[id, r] as const] : [];
    }));
  }

  /** MessageStore.transition: one conditional UpdateItem (the worker's rare paths: FAILED, EXPIRED). */
  async transition(id: string, to: MessageStatus, options: TransitionOptions = {}): Promise<TransitionResult> {
    this.counter.add('dynamodb.UpdateItem');
    const result = this.apply(id, to, options);
    if (result.applied) this.counter.wrote('message');
    return result;
  }

  /**
   * The worker's part of a change is its plan (planTransition, as DeliveryStore renders it into a
   * statement); the table's part, checking and applying it, is done in place here, as cheaply as it
   * can be, so the stand-in's own CPU weighs little on the worker's figure. Records are handed out
   * uncopied (the worker never changes one).
   */
  private apply(id: string, to: MessageStatus, options: TransitionOptions): TransitionResult {
    const plan = planTransition(to, options, RETENTION_DAYS);
    const r = this.messages.get(id);
    if (!r || !transitionAllowed(plan, r)) return { applied: false, current: r };
    Object.assign(r, plan.set);
    r.history.push(plan.change);
    for (const name of plan.remove) delete (r as unknown as Record<string, unknown>)[name];
    if (to === 'DELIVERED') this.delivered++;
    return { applied: true, record: r };
  }

  /** DeliveryStore.recordSubmitted: SUBMITTED, one write; the mappings pending (written unless their receipts come within the delay). */
  async recordSubmitted({ envelope, smscIds, keys }: SubmittedMessage): Promise<Submitted> {
    await this.writes.add(1);
    this.counter.wrote('message');
    const now = new Date();
    const submitted = this.apply(envelope.messageId, 'SUBMITTED', { expectedAttempt: envelope.attempt, carrierId: envelope.carrierId, now, set: { smscIds, segmentReceipts: {}, submittedAt: now.toISOString() }, remove: ['text'] });
    if (!submitted.applied) return { applied: false, current: submitted.current?.status ?? 'MISSING', settled: Promise.resolve() };
    let settle!: () => void;
    const settled = new Promise<void>((r) => (settle = r));
    const p = { open: new Set(keys.map((key) => `${envelope.carrierId}#${key}`)), settle, timer: undefined as NodeJS.Timeout | undefined };
    for (const [segment, key] of keys.entries()) {
      const k = `${envelope.carrierId}#${key}`;
      this.mappings.set(k, { messageId: envelope.messageId, segment, segments: keys.length });
      this.pending.set(k, p);
    }
    p.timer = setTimeout(() => {
      // Not all receipts came in time: the open mappings are written (one group).
      this.counter.wrote('mapping', p.open.size);
      void this.writes.add(p.open.size).then(() => p.settle());
      for (const k of p.open) this.pending.delete(k);
    }, MAPPING_DELAY_MS);
    return { applied: true, settled };
  }

  /** DeliveryStore.restoreMappings: no queue message comes back in this run. */
  async restoreMappings(): Promise<void> {
    throw new Error('MemoryStore: no queue message comes back in a bench run');
  }

  /** DeliveryStore.applyReceipt: the mapping from the cache or a coalesced read, the final change a coalesced write. */
  async applyReceipt(carrierId: string, key: string, receipt: Receipt): Promise<ReceiptResult> {
    const stored: StoredReceipt = { state: receipt.state, ...(receipt.errorCode !== undefined ? { errorCode: receipt.errorCode } : {}), receivedAt: new Date().toISOString() };
    const k = `${carrierId}#${key}`;
    const p = this.pending.get(k);
    if (!p) await this.reads.add(k);
    const m = this.mappings.get(k);
    if (!m?.messageId) {
      this.counter.add('dynamodb.UpdateItem'); // held on the mapping's key
      this.counter.wrote('mapping');
      this.mappings.set(k, { ...m, pendingReceipt: stored });
      return { outcome: 'pending' };
    }
    if (p && statusForReceipt(stored.state) !== undefined) {
      this.pending.delete(k);
      p.open.delete(k);
      if (p.open.size === 0) {
        clearTimeout(p.timer);
        p.settle();
      }
    }
    if ((m.segments ?? 1) === 1 && statusForReceipt(stored.state) !== undefined) {
      await this.writes.add(1);
      this.counter.wrote('message');
    }
    const status = this.applyToMessage(m.messageId, m.segment ?? 0, m.segments ?? 1, stored);
    return { outcome: 'applied', messageId: m.messageId, ...(status ? { status } : {}) };
  }

  private applyToMessage(messageId: string, segment: number, segments: number, receipt: StoredReceipt): MessageStatus | undefined {
    if (statusForReceipt(receipt.state) === undefined) return undefined;
    if (segments > 1) {
      // The segment's receipt on the message, then the final change.
      this.counter.add('dynamodb.UpdateItem');
      this.counter.wrote('message', 2);
    }
    const outcome = aggregateSegments({ [String(segment)]: receipt.state }, segments);
    if (!outcome.complete || !outcome.status) return undefined;
    return this.apply(messageId, outcome.status, { ...(outcome.reason ? { reason: outcome.reason } : {}), set: { receipt } }).applied ? outcome.status : undefined;
  }
}

async function runMemory(): Promise<ThroughputResult> {
  const carrier = benchCarrier();
  const counter = new Counter();
  const store = new MemoryStore(counter);
  const queue = new MemoryQueue(counter);
  for (const { record, envelope } of records(carrier.id)) {
    store.messages.set(record.id, record);
    queue.push(JSON.stringify(envelope));
  }
  const onDeliver = deliverHandler(carrier, {
    delivery: store as unknown as DeliveryStore,
    inbound: undefined as unknown as InboundStore, // no inbound messages in this run
    log: workerLog,
    tenants: [],
    keywords: undefined as never,
  });
  const connection = new CarrierConnection({ carrier, password: 'secret', log: (event, data) => workerLog(event, { carrierId: carrier.id, ...data }), onDeliver });
  const worker = new CarrierWorker({
    carrier,
    connection,
    queueUrl: 'memory://bench',
    sqs: queue as unknown as SQSClient,
    messages: store as unknown as Pick<MessageStore, 'transition'>,
    delivery: store as unknown as Pick<DeliveryStore, 'readRecords' | 'recordSubmitted' | 'restoreMappings'>,
    scheduleRetry: async () => {
      counter.add('dynamodb.TransactWriteItems');
      counter.wrote('other', 4); // a transaction writes the message and its timer at twice the units
      return true;
    },
    retryPolicy: { retryBaseSeconds: 2, retryMaxSeconds: 10 },
    log: workerLog,
    waitTimeSeconds: 20,
  });
  connection.start();
  if (!(await connection.whenReady(10_000))) throw new Error('worker: no bind within 10 s');
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  logBytes = 0;
  worker.start();
  while (store.delivered < count) await new Promise((r) => setTimeout(r, 5));
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  await worker.stop(1000);
  await connection.stop(1000);
  const largest = Math.max(...[...store.messages.values()].map((r) => itemSize({ pk: `MSG#${r.id}`, sk: 'MSG', kind: 'message', ...r, expiresAt: 1767225600, dueAt: r.validUntil })));
  return throughput(count, wall, (cpu.user + cpu.system) / 1e6, { calls: counter.calls, writes: counter.writes, messageItemBytes: largest, logBytesPerMessage: Math.round(logBytes / count) });
}

// ---- emulator variant -----------------------------------------------------------------

async function inParallel<T>(items: T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

async function runEmulator(): Promise<ThroughputResult> {
  const carrier = benchCarrier();
  const tableName = 'bench-worker-messages';
  const seedDynamo = new DynamoDBClient({});
  const seedDoc = DynamoDBDocumentClient.from(seedDynamo, { marshallOptions: { removeUndefinedValues: true } });
  const seedSqs = new SQSClient({});
  await ensureTable(seedDynamo, tableName);
  const queue = await seedSqs.send(new CreateQueueCommand({ QueueName: `bench-${randomUUID().slice(0, 8)}.fifo`, Attributes: { FifoQueue: 'true', VisibilityTimeout: '60', DeduplicationScope: 'messageGroup', FifoThroughputLimit: 'perMessageGroupId' } }));
  const queueUrl = queue.QueueUrl!;
  const seedStart = Date.now();
  const all = records(carrier.id);
  await inParallel(chunks(all, 25), 4, async (batch) => {
    let items: Record<string, unknown>[] | undefined = batch.map(({ record }) => ({ PutRequest: { Item: { pk: `MSG#${record.id}`, sk: 'MSG', kind: 'message', ...record } } }));
    while (items && items.length > 0) {
      const out = await seedDoc.send(new BatchWriteCommand({ RequestItems: { [tableName]: items as never } }));
      items = out.UnprocessedItems?.[tableName] as Record<string, unknown>[] | undefined;
    }
  });
  await inParallel(chunks(all, 10), 4, async (batch) => {
    await seedSqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: batch.map(({ envelope }, i) => ({ Id: String(i), MessageBody: JSON.stringify(envelope), MessageGroupId: envelope.messageId, MessageDeduplicationId: `${envelope.messageId}#1` })) }));
  });
  const seedSeconds = (Date.now() - seedStart) / 1000;

  // Count the worker's own requests: middleware on the process-wide clients it uses.
  const calls: Record<string, number> = {};
  const writes: Record<string, number> = {};
  const wrote = (kind: string, n = 1): void => void (writes[kind] = (writes[kind] ?? 0) + n);
  const counting = (prefix: string) => (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: { input?: Record<string, any> }) => {
    // lib-dynamodb names its commands Get/Update/Put; report them as the DynamoDB operations they are.
    const op = (context.commandName ?? 'unknown').replace(/Command$/, '');
    const name = `${prefix}.${prefix === 'dynamodb' && /^(Get|Update|Put|Delete)$/.test(op) ? `${op}Item` : op}`;
    calls[name] = (calls[name] ?? 0) + 1;
    // Items written, by kind: a PartiQL UPDATE changes a message, an INSERT puts a mapping; single-item writes by their sort key.
    const input = args.input ?? {};
    if (name === 'dynamodb.BatchExecuteStatement') for (const st of input.Statements ?? []) wrote(/^\s*INSERT/i.test(st.Statement) ? 'mapping' : 'message');
    else if ((name === 'dynamodb.UpdateItem' || name === 'dynamodb.PutItem') && !String((input.Key ?? input.Item)?.sk ?? '').startsWith('HEARTBEAT')) wrote((input.Key ?? input.Item)?.sk === 'MSG' ? 'message' : (input.Key ?? input.Item)?.sk === 'SMSC' ? 'mapping' : 'other');
    else if (name === 'dynamodb.TransactWriteItems') wrote('other', 2 * (input.TransactItems?.length ?? 0));
    return next(args);
  };
  dynamo().middlewareStack.add(counting('dynamodb') as never, { step: 'initialize', name: 'benchCount' });
  sqs().middlewareStack.add(counting('sqs') as never, { step: 'initialize', name: 'benchCount' });

  let submitted = 0;
  let receipts = 0;
  let failure: string | undefined;
  const logger = (event: string, data: Record<string, unknown> = {}): void => {
    if (event === 'MESSAGE_SUBMITTED') submitted++;
    else if (event === 'RECEIPT_APPLIED' || event === 'RECEIPT_UNMATCHED') receipts++;
    // A record the worker could not complete stays on the queue and is submitted again after the
    // visibility timeout: the run cannot finish, so stop at the first one and say why.
    else if (event === 'RECORD_FAILED' || event === 'DELIVER_FAILED') failure ??= `${event}: ${String(data.error ?? '')} ${String(data.detail ?? '')}`.trim();
    workerLog(event, data);
  };
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  logBytes = 0;
  const worker = await startWorker(
    {
      tableName,
      retentionDays: 7,
      retainText: false,
      tenants: [], // no inbound messages in this run
      replyValiditySeconds: 86_400,
      prices: undefined,
      receiptTimeoutSeconds: 60,
      retryPolicy: { retryBaseSeconds: 2, retryMaxSeconds: 10 },
      healthPort: 0,
      heartbeatSeconds: 5,
      drainSeconds: 5,
      pollWaitSeconds: 1,
      taskId: 'bench',
      // The bench's table has no stream: the production path, PartiQL batches.
      deliveryWrites: 'partiql',
      leaseTtlSeconds: 15,
      logLevel: 'INFO',
      carriers: [{ config: carrier, password: 'secret', queueUrl }],
    },
    logger,
  );
  const deadline = Date.now() + Math.max(60_000, count * 100);
  while ((submitted < count || receipts < count) && !failure && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  if (failure || submitted < count || receipts < count) {
    await worker.stop();
    await seedSqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl })).catch(() => undefined);
    throw new Error(failure ? `the worker failed a record after ${submitted} submitted: ${failure}` : `timed out with ${submitted}/${count} submitted, ${receipts}/${count} receipts`);
  }
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  await worker.stop();
  await seedSqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl })).catch(() => undefined);
  const delivered = (await seedDoc.send(new GetCommand({ TableName: tableName, Key: { pk: `MSG#${all[0]!.record.id}`, sk: 'MSG' }, ConsistentRead: true }))).Item;
  return throughput(count, wall, (cpu.user + cpu.system) / 1e6, { calls, writes, ...(delivered ? { messageItemBytes: itemSize(delivered) } : {}), logBytesPerMessage: Math.round(logBytes / count), notes: [`seeding ${count} records + envelopes took ${seedSeconds.toFixed(1)} s (not timed)`] });
}

(mode === 'memory' ? runMemory() : runEmulator())
  .then((result) => {
    process.send?.({ type: 'result', ...result }, () => process.exit(0));
  })
  .catch((err: unknown) => {
    process.send?.({ type: 'error', message: `worker (${mode}): ${(err as Error).message}` }, () => process.exit(1));
  });
