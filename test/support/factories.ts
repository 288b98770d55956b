/**
 * Test data for the domain and API tests: configs validated by the real
 * schemas, an in-memory message repository for MessagesApi, in-memory router
 * ports for routeMessage, status events and webhook queue records, a local
 * stack's outputs file, and a seeded PRNG so weighted draws are repeatable.
 * Nothing here replaces domain code: the fakes stand in for DynamoDB and SQS only.
 *
 * This module must not import classic `zod` (core/config/schema.ts, load.ts) at
 * load time: importing it installs zod's English messages process-wide, which
 * changes what the zod/mini submission schema reports. The API Lambda never loads
 * classic zod, so domain tests must not either; config is parsed on demand.
 */
import type { APIGatewayProxyResult, SQSRecord } from 'aws-lambda';
import { MessagesApi, type ApiLogLevel, type ApiRequest, type MessageRepository, type RequestCounter } from '../../core/api/messages-api';
import type { InboundRepository } from '../../core/api/inbound-api';
import type { OptOutRepository } from '../../core/api/opt-outs-api';
import { InvalidListCursor, type MessageListPage, type MessageListQuery } from '../../core/aws/message-list';
import { listAt } from '../../core/domain/message-list';
import type { InboundPageRequest, StoredInbound } from '../../core/aws/inbound-store';
import type { OptOut, OptOutSource } from '../../core/domain/opt-outs';
import type { AddLimits, UsageCounter } from '../../core/api/quota-step';
import type { UsageReader } from '../../core/api/usage-api';
import type { ChargeTotals, QuotaName, UsedFigures } from '../../core/domain/quota';
import { figureAttribute, usageDayOf, type UsageDay, type UsageFigures } from '../../core/domain/usage';
import type { LocalOutputs } from '../../core/config/local-outputs';
import { toRuntimeConfig, type RuntimeConfig } from '../../core/config/runtime';
import type { RouteConfig, RouteMatch } from '../../core/config/schema';
import type { CarrierEnvelope, IngestEnvelope } from '../../core/domain/envelopes';
import type { MessageRecord, MessageStatus, ReceiptDetails, StatusChange } from '../../core/domain/message';
import type { PumpingCounter, PumpingWindow } from '../../core/domain/pumping';
import { transitionInMemory, type TransitionOptions, type TransitionResult } from '../../core/domain/transition';
import type { RouterPorts } from '../../core/domain/route-message';
import type { HealthCheck, RouteSelected } from '../../core/domain/routing';
import type { TopicEvent } from '../../core/domain/opt-out-event';
import type { StatusEvent } from '../../core/domain/status-event';
import type { WebhookPorts } from '../../core/webhook/deliver-status-event';
import type { DeliveryResult } from '../../core/webhook/dispatcher';
import type { DeadLetter } from '../../core/webhook/webhook-queue';

// ---------------------------------------------------------------- randomness

/** mulberry32: a small seeded PRNG returning [0, 1), so draws are the same on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---------------------------------------------------------------- numbers

/** Real mobile numbers per libphonenumber's mobile metadata. */
export const MOBILE = {
  GB: '+447400123456',
  GB_OTHER: '+447800123456',
  /** +447911 12… is Guernsey (GG) in the numbering plan, though it starts +447. */
  GG: '+447911123456',
  DE: '+4915123456789',
  US: '+14155552671',
} as const;

/** A London landline: a phone number, but not mobile-capable. */
export const LANDLINE_GB = '+442071234567';

// ---------------------------------------------------------------- routes

/** A static route, e.g. `staticRoute('uk', 'c-a', { prefix: ['+447'] })` (the shape RouteConfig parses to). */
export function staticRoute(id: string, carrier: string, match?: RouteMatch): RouteConfig {
  return { id, kind: 'static', default: false, carrier, ...(match ? { match } : {}) };
}

export function weightedRoute(id: string, carriers: { id: string; weight: number }[], match?: RouteMatch): RouteConfig {
  return { id, kind: 'weighted', default: false, carriers, ...(match ? { match } : {}) };
}

export function failoverRoute(id: string, carriers: string[], match?: RouteMatch): RouteConfig {
  return { id, kind: 'failover', default: false, carriers, ...(match ? { match } : {}) };
}

export function defaultRoute(id: string, carrier: string): RouteConfig {
  return { id, kind: 'static', default: true, carrier };
}

/** A HealthCheck that reports the named carriers unhealthy and every other one healthy. */
export function unhealthy(...carrierIds: string[]): HealthCheck {
  return (id) => !carrierIds.includes(id);
}

// ---------------------------------------------------------------- config

export const API_KEYS = {
  acme: 'test-acme-key-0123456789',
  globex: 'test-globex-key-0123456789',
  initech: 'test-initech-key-0123456789',
} as const;

/** acme's account on the Twilio-compatible API in the unit tests (twilioTenants). */
export const TWILIO_ACCOUNT_SID = 'AC0123456789abcdef0123456789abcdef';
export const TWILIO_AUTH_TOKEN = 'test-acme-twilio-token-0123456789';
/** globex's, to show one account's credentials do not open another's. */
export const TWILIO_OTHER_SID = 'ACfedcba9876543210fedcba9876543210';
export const TWILIO_OTHER_TOKEN = 'test-globex-twilio-token-01234567';

/** gatewayConfigInput's tenants, acme and globex with a Twilio account each (plaintext tokens, as a local config). */
export function twilioTenants(): Record<string, unknown>[] {
  return [
    { id: 'acme', apiKeys: [API_KEYS.acme], rateLimitPerSecond: 1000, twilio: { accountSid: TWILIO_ACCOUNT_SID, authToken: TWILIO_AUTH_TOKEN } },
    { id: 'globex', apiKeys: [API_KEYS.globex], rateLimitPerSecond: 1000, twilio: { accountSid: TWILIO_OTHER_SID, authToken: TWILIO_OTHER_TOKEN } },
    { id: 'initech', apiKeys: [API_KEYS.initech], rateLimitPerSecond: 2 },
  ];
}

export function carrierInput(id: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { id, host: '127.0.0.1', port: 2775, systemId: `gw-${id}`.slice(0, 15), password: 'secret', ...overrides };
}

/**
 * A raw gateway config (what a YAML file would hold): tenants acme and globex
 * (1000 requests per second: the API tests' clock stands still) and initech (2),
 * carriers c-a and c-b, UK mobiles by failover c-a → c-b, Germany to c-b, the
 * rest to c-a. Top-level keys in `overrides` replace the defaults.
 */
export function gatewayConfigInput(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    tenants: [
      { id: 'acme', apiKeys: [API_KEYS.acme], rateLimitPerSecond: 1000 },
      { id: 'globex', apiKeys: [API_KEYS.globex], rateLimitPerSecond: 1000 },
      { id: 'initech', apiKeys: [API_KEYS.initech], rateLimitPerSecond: 2 },
    ],
    carriers: [carrierInput('c-a'), carrierInput('c-b', { port: 2776 })],
    routes: [
      { id: 'uk', kind: 'failover', match: { prefix: ['+447'] }, carriers: ['c-a', 'c-b'] },
      { id: 'de', kind: 'static', match: { country: ['DE'] }, carrier: 'c-b' },
      { id: 'everything-else', kind: 'static', default: true, carrier: 'c-a' },
    ],
    ...overrides,
  };
}

/** The runtime config the Lambdas receive, compiled from a validated gateway config (loads classic zod). */
export async function runtimeConfigFor(overrides: Record<string, unknown> = {}): Promise<RuntimeConfig> {
  const { parseGatewayConfig } = await import('../../core/config/load.js');
  return toRuntimeConfig(parseGatewayConfig(gatewayConfigInput(overrides)));
}

// ---------------------------------------------------------------- status webhooks

/** A status event of message m1 (tenant acme, DELIVERED through c-a), as the status topic publishes it. */
export function statusEvent(overrides: Partial<StatusEvent> = {}): StatusEvent {
  return {
    version: 1,
    type: 'message.status',
    eventId: 'm1:3',
    messageId: 'm1',
    tenantId: 'acme',
    reference: 'order-42',
    status: 'DELIVERED',
    previousStatus: 'SUBMITTED',
    carrierId: 'c-a',
    segments: 1,
    attempt: 1,
    occurredAt: '2026-01-01T00:00:09.000Z',
    createdAt: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}

/** One receive of a webhook queue message: `receiveCount` is the attempt it is; `group`, its FIFO message group. */
export function sqsRecord(body: string, receiveCount: number, id = 'sqs-1', group?: string): SQSRecord {
  return {
    messageId: id,
    receiptHandle: `rh-${id}-${receiveCount}`,
    body,
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: '1767225600000',
      SenderId: 'sns',
      ApproximateFirstReceiveTimestamp: '1767225600000',
      ...(group !== undefined ? { MessageGroupId: group } : {}),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:webhooks',
    awsRegion: 'us-east-1',
  };
}

/**
 * What deliverStatusEvent reaches, in memory: tenant callback and inbound URLs and secrets,
 * a receiver that gives the `answers` in turn (204 when they run out), and the
 * webhook queue's retries and dead letters. `secretError` / `retryError` make
 * the secret read or the visibility change fail.
 */
export class InMemoryWebhookPorts implements WebhookPorts {
  readonly callbackUrls = new Map<string, string>([['acme', 'https://hooks.acme.example/sms?token=t0ps3cret']]);
  readonly inboundUrls = new Map<string, string>([['acme', 'https://hooks.acme.example/inbound']]);
  readonly secrets = new Map<string, string>([['acme', 'whsec_test_acme']]);
  readonly twilioTokens = new Map<string, string>([['acme', TWILIO_AUTH_TOKEN]]);
  readonly answers: DeliveryResult[] = [];
  readonly posted: { eventId: string; url: string; secret: string }[] = [];
  readonly retries: { receiptHandle: string; delaySeconds: number }[] = [];
  readonly deadLetters: { body: string; letter: DeadLetter }[] = [];
  secretError: Error | undefined;
  retryError: Error | undefined;
  retryScale = 1;

  readonly queue: WebhookPorts['queue'] = {
    retryAfter: async (receiptHandle, delaySeconds) => {
      this.retries.push({ receiptHandle, delaySeconds });
      if (this.retryError) throw this.retryError;
    },
    deadLetter: async (body, letter) => void this.deadLetters.push({ body, letter }),
  };

  tenantCallbackUrl(tenantId: string): string | undefined {
    return this.callbackUrls.get(tenantId);
  }

  tenantInboundUrl(tenantId: string): string | undefined {
    return this.inboundUrls.get(tenantId);
  }

  async signingSecret(tenantId: string): Promise<string | undefined> {
    if (this.secretError) throw this.secretError;
    return this.secrets.get(tenantId);
  }

  async twilioAuthToken(tenantId: string): Promise<string | undefined> {
    if (this.secretError) throw this.secretError;
    return this.twilioTokens.get(tenantId);
  }

  async post(event: TopicEvent, target: { url: string; secret: string }): Promise<DeliveryResult> {
    this.posted.push({ eventId: event.eventId, ...target });
    return this.answers.shift() ?? { ok: true, status: 204 };
  }
}

// ---------------------------------------------------------------- local stack outputs

/** A complete .local/outputs.json as deploy-local writes it, for a stack with carriers sim-a and sim-b. */
export function localOutputs(overrides: Partial<LocalOutputs> = {}): LocalOutputs {
  return {
    endpoint: 'http://localhost:4566',
    stackName: 'SmsGatewayLocal',
    region: 'us-east-1',
    apiUrl: 'http://localhost:4566/_aws/execute-api/abc123/live',
    apiKey: 'dev-acme-key-0123456789',
    apiKeys: { acme: ['dev-acme-key-0123456789'], globex: [] },
    tableName: 'SmsGatewayLocal-Messages',
    ingestQueueUrl: 'http://localhost:4566/000000000000/ingest.fifo',
    ingestDlqUrl: 'http://localhost:4566/000000000000/ingest-dlq.fifo',
    carrierQueueUrls: { 'sim-a': 'http://localhost:4566/000000000000/sim-a.fifo', 'sim-b': 'http://localhost:4566/000000000000/sim-b.fifo' },
    carrierDlqUrls: { 'sim-a': 'http://localhost:4566/000000000000/sim-a-dlq.fifo', 'sim-b': 'http://localhost:4566/000000000000/sim-b-dlq.fifo' },
    functions: { api: 'SmsGatewayLocal-Api', router: 'SmsGatewayLocal-Router', outbox: 'SmsGatewayLocal-Outbox' },
    raw: { InboundTopicArn: 'arn:aws:sns:us-east-1:000000000000:inbound', StatusTopicArn: 'arn:aws:sns:us-east-1:000000000000:status' },
    ...overrides,
  };
}

// ---------------------------------------------------------------- message records

export const NOW = new Date('2025-03-01T12:00:00.000Z');

/** Days the in-memory stores keep a final record (its TTL), as the config's retentionDays would. */
export const RETENTION_DAYS = 30;

export function messageRecord(overrides: Partial<MessageRecord> = {}): MessageRecord {
  const at = NOW.toISOString();
  const status = overrides.status ?? 'ACCEPTED';
  return {
    id: '0b6f2f38-6d0e-8c8b-9a1e-3f1c2d4e5f60',
    tenantId: 'acme',
    status,
    to: MOBILE.GB,
    country: 'GB',
    text: 'Your code is 123456',
    type: 'transactional',
    encoding: 'GSM7',
    segments: 1,
    validUntil: new Date(NOW.getTime() + 86_400_000).toISOString(),
    createdAt: at,
    updatedAt: at,
    attempt: 0,
    history: [{ status, at }],
    ...overrides,
  };
}

/**
 * A delivered message with every optional field set, down to the receipt and the
 * history entries. Typed with Required<…> so a field added to MessageRecord fails
 * to compile here until the tests (and openapi.yaml) know about it.
 */
export function completeMessageRecord(): MessageRecord {
  const change: Required<StatusChange> = { status: 'SUBMITTED', at: '2025-03-01T12:00:02.000Z', reason: 'submit_sm_resp ok', carrierId: 'c-a', attempt: 1 };
  const receipt: Required<ReceiptDetails> = { state: 'DELIVERED', errorCode: '000', receivedAt: '2025-03-01T12:00:05.000Z', doneAt: '2025-03-01T12:00:04.000Z' };
  const record: Required<MessageRecord> = {
    ...messageRecord(),
    status: 'DELIVERED',
    text: 'Your code is 123456',
    country: 'GB',
    from: 'ACME',
    reference: 'order-42',
    callbackUrl: 'https://example.com/sms-status',
    callbackFormat: 'twilio',
    attempt: 1,
    carrierId: 'c-a',
    reason: 'receipt DELIVRD',
    history: [{ status: 'ACCEPTED', at: NOW.toISOString() }, change, { status: 'DELIVERED', at: receipt.receivedAt }],
    smscIds: ['5f1c0a', '5f1c0b'],
    submittedAt: change.at,
    receipt,
    requestHash: 'b'.repeat(64),
    segments: 2,
    price: 0.08,
    currency: 'EUR',
    usageCounted: true,
    sendAt: '2025-03-01T12:00:01.000Z',
  };
  return record;
}

/** The ingest envelope the outbox makes for a record (attempt 1 unless given). */
export function ingestEnvelope(record: MessageRecord, overrides: Partial<IngestEnvelope> = {}): IngestEnvelope {
  return {
    v: 1,
    messageId: record.id,
    tenantId: record.tenantId,
    attempt: 1,
    to: record.to,
    ...(record.country !== undefined ? { country: record.country } : {}),
    ...(record.from !== undefined ? { from: record.from } : {}),
    type: record.type,
    validUntil: record.validUntil,
    ...overrides,
  };
}

// ---------------------------------------------------------------- API

/**
 * The message table as MessagesApi sees it: create is conditional on the id
 * (like the DynamoDB put with attribute_not_exists), get returns a copy.
 */
export class InMemoryMessageRepository implements MessageRepository {
  private readonly records = new Map<string, MessageRecord>();
  /** Every create call, stored or not. */
  createCalls = 0;

  async create(record: MessageRecord): Promise<{ created: true } | { created: false; existing: MessageRecord }> {
    this.createCalls++;
    const existing = this.records.get(record.id);
    if (existing) return { created: false, existing: structuredClone(existing) };
    this.records.set(record.id, structuredClone(record));
    return { created: true };
  }

  async get(id: string): Promise<MessageRecord | undefined> {
    const record = this.records.get(id);
    return record ? structuredClone(record) : undefined;
  }

  async getMany(ids: string[]): Promise<MessageRecord[]> {
    return ids.flatMap((id) => {
      const record = this.records.get(id);
      return record ? [structuredClone(record)] : [];
    });
  }

  /** By the store's own rule (transitionInMemory), like its conditional write. */
  async cancel(id: string): Promise<{ applied: boolean; current: MessageRecord | undefined }> {
    const result = transitionInMemory(this.records.get(id), 'CANCELED', { reason: 'canceled_by_client', now: NOW }, RETENTION_DAYS);
    if (!result.applied) return { applied: false, current: result.current && structuredClone(result.current) };
    this.records.set(id, result.record);
    return { applied: true, current: structuredClone(result.record) };
  }

  /** GET /v1/messages: the same filters and order as the list index (core/aws/message-list.ts); its cursor is the last listAt given. */
  async list(q: MessageListQuery): Promise<MessageListPage> {
    let after: string | undefined;
    if (q.cursor !== undefined) {
      after = Buffer.from(q.cursor, 'base64url').toString('utf8');
      if (!/^\d{4}-.*#[0-9a-f-]{36}$/.test(after)) throw new InvalidListCursor('not a cursor of this list');
    }
    const matching = [...this.records.values()]
      .map((r) => ({ r, at: listAt(r.createdAt, r.id) }))
      .filter(({ r, at }) => r.tenantId === q.tenantId && (q.to === undefined || r.to === q.to) && (q.from === undefined || r.from === q.from))
      .filter(({ r }) => !q.status || q.status.includes(r.status))
      .filter(({ at }) => (q.since === undefined || at >= q.since) && (q.until === undefined || at < q.until) && (after === undefined || at < after))
      .sort((a, b) => (a.at < b.at ? 1 : -1));
    const page = matching.slice(0, q.limit);
    const more = matching.length > q.limit;
    return { items: page.map(({ r }) => structuredClone(r)), ...(more ? { cursor: Buffer.from(page.at(-1)!.at).toString('base64url') } : {}) };
  }

  /** Test access: put a record as another component (router, worker) would have left it. */
  put(record: MessageRecord): void {
    this.records.set(record.id, structuredClone(record));
  }

  get size(): number {
    return this.records.size;
  }

  all(): MessageRecord[] {
    return [...this.records.values()].map((r) => structuredClone(r));
  }
}

/**
 * The opt-out items as OptOutStore keeps them (tenant, number and sender; a removal kept with
 * its time), with its conditions: a repeated opt-out or removal changes nothing and says so.
 */
export class InMemoryOptOutRepository implements OptOutRepository {
  readonly items = new Map<string, OptOut & { tenantId: string; state: 'opted-out' | 'removed'; removedAt?: string }>();
  /** Round trips of the acceptance check (inForce calls). */
  inForceCalls = 0;

  private static key(tenantId: string, number: string, sender: string | undefined): string {
    return `${tenantId}/${sender === undefined ? number : `${number}#${sender}`}`;
  }

  async optOut(tenantId: string, o: { number: string; sender?: string; source: OptOutSource; keyword?: string; at: Date }): Promise<{ created: boolean }> {
    const key = InMemoryOptOutRepository.key(tenantId, o.number, o.sender);
    if (this.items.get(key)?.state === 'opted-out') return { created: false };
    const { at, ...rest } = o;
    this.items.set(key, { tenantId, ...rest, optedOutAt: at.toISOString(), state: 'opted-out' });
    return { created: true };
  }

  async remove(tenantId: string, o: { number: string; sender?: string; at: Date }): Promise<{ removed: boolean }> {
    const key = InMemoryOptOutRepository.key(tenantId, o.number, o.sender);
    const item = this.items.get(key);
    if (item?.state !== 'opted-out') return { removed: false };
    this.items.set(key, { ...item, state: 'removed', removedAt: o.at.toISOString() });
    return { removed: true };
  }

  async get(tenantId: string, number: string, sender?: string): Promise<OptOut | undefined> {
    const item = this.items.get(InMemoryOptOutRepository.key(tenantId, number, sender));
    if (item?.state !== 'opted-out') return undefined;
    const { tenantId: _tenant, state: _state, removedAt: _removed, ...optOut } = item;
    return optOut;
  }

  async inForce(tenantId: string, keys: readonly { number: string; sender?: string }[]): Promise<OptOut[]> {
    this.inForceCalls++;
    const found = await Promise.all(keys.map((k) => this.get(tenantId, k.number, k.sender)));
    return found.flatMap((o) => o ?? []);
  }

  async list(tenantId: string, page: { limit: number; after?: string }): Promise<{ optOuts: OptOut[]; next?: string }> {
    const prefix = `${tenantId}/`;
    const keys = [...this.items.keys()].filter((k) => k.startsWith(prefix) && this.items.get(k)!.state === 'opted-out').map((k) => k.slice(prefix.length)).sort();
    const rest = keys.filter((k) => page.after === undefined || k > page.after).slice(0, page.limit);
    const optOuts = await Promise.all(rest.map((k) => { const [number, sender] = k.split('#'); return this.get(tenantId, number!, sender); }));
    const last = rest[rest.length - 1];
    return { optOuts: optOuts.flatMap((o) => o ?? []), ...(rest.length === page.limit && last !== keys[keys.length - 1] ? { next: last! } : {}) };
  }
}

/** Recorded inbound messages in memory, listed as the `inbox` index orders them: by received time and id, newest first. */
export class InMemoryInboundRepository implements InboundRepository {
  readonly items = new Map<string, StoredInbound>();
  /** Every page asked for, as the API parsed it. */
  readonly pages: { tenantId: string; page: InboundPageRequest }[] = [];

  add(...messages: StoredInbound[]): void {
    for (const m of messages) this.items.set(m.id, m);
  }

  async get(id: string): Promise<StoredInbound | undefined> {
    return this.items.get(id);
  }

  async list(tenantId: string, page: InboundPageRequest): Promise<{ inbound: StoredInbound[]; next?: string }> {
    this.pages.push({ tenantId, page });
    const sk = (m: StoredInbound) => `${m.receivedAt}#${m.id}`;
    const mine = [...this.items.values()]
      .filter((m) => m.tenantId === tenantId && (page.since === undefined || m.receivedAt >= page.since) && (page.to === undefined || page.to.includes(m.to)) && (page.from === undefined || m.from === page.from))
      .sort((a, b) => (sk(a) < sk(b) ? 1 : -1));
    const rest = mine.filter((m) => page.after === undefined || sk(m) < page.after);
    const inbound = rest.slice(0, page.limit);
    return { inbound, ...(rest.length > page.limit ? { next: sk(inbound[inbound.length - 1]!) } : {}) };
  }
}

/** Request counts per tenant and window, counted like the conditional ADD of DynamoRequestCounter. */
export class InMemoryRequestCounter implements RequestCounter {
  readonly counts = new Map<string, number>();

  async tryCount(tenantId: string, windowSecond: number, limit: number): Promise<boolean> {
    const key = `${tenantId}#${windowSecond}`;
    const count = this.counts.get(key) ?? 0;
    if (count >= limit) return false;
    this.counts.set(key, count + 1);
    return true;
  }
}

/** Pumping window counts, taken like DynamoPumpingCounter's conditional ADD (up to the room left); `takes` records each call. */
export class InMemoryPumpingCounter implements PumpingCounter {
  readonly counts = new Map<string, number>();
  readonly takes: { window: string; wanted: number }[] = [];

  static id(w: PumpingWindow): string {
    return `${w.tenantId}#${w.epochHour}#${'country' in w.scope ? `C#${w.scope.country}` : `P#${w.scope.prefix}`}`;
  }

  async take(window: PumpingWindow, wanted: number, limit: number): Promise<number> {
    const id = InMemoryPumpingCounter.id(window);
    this.takes.push({ window: id, wanted });
    const count = this.counts.get(id) ?? 0;
    const taken = Math.max(0, Math.min(wanted, limit - count));
    this.counts.set(id, count + taken);
    return taken;
  }

  async release(window: PumpingWindow, count: number): Promise<void> {
    const id = InMemoryPumpingCounter.id(window);
    this.counts.set(id, (this.counts.get(id) ?? 0) - count);
  }
}

/**
 * The usage items as DynamoUsageCounter keeps them (flat attributes per tenant and period), with
 * the same rule for a limited ADD: refused, and nothing added, when the figure before it is above the room.
 */
export class InMemoryUsageCounter implements UsageCounter, UsageReader {
  readonly items = new Map<string, Record<string, number>>();
  /** Every add call, refused or not. */
  adds = 0;
  reads = 0;

  private item(tenantId: string, sk: string): Record<string, number> {
    const key = `${tenantId}|${sk}`;
    if (!this.items.has(key)) this.items.set(key, {});
    return this.items.get(key)!;
  }

  async add(tenantId: string, period: { day: string } | { month: string }, totals: ChargeTotals, limits?: AddLimits): Promise<{ segments: number; spendMicros: number } | undefined> {
    this.adds++;
    const item = this.item(tenantId, 'day' in period ? `DAY#${period.day}` : `MONTH#${period.month}`);
    if (limits?.segments !== undefined && item.segments !== undefined && item.segments > limits.segments) return undefined;
    if (limits?.spendMicros !== undefined && item.spend !== undefined && item.spend > limits.spendMicros) return undefined;
    const figures: [string | undefined, UsageFigures][] = [[undefined, totals]];
    if ('day' in period) figures.push(...totals.byCountry);
    for (const [group, f] of figures) this.addFigures(item, f, group);
    return { segments: item.segments!, spendMicros: item.spend! };
  }

  async read(tenantId: string, periods: { day: string; month: string }): Promise<UsedFigures> {
    this.reads++;
    const day = this.item(tenantId, `DAY#${periods.day}`);
    const month = this.item(tenantId, `MONTH#${periods.month}`);
    return { daySegments: day.segments ?? 0, monthSegments: month.segments ?? 0, monthSpendMicros: month.spend ?? 0 };
  }

  async addStatuses(tenantId: string, day: string, byGroup: ReadonlyMap<string, UsageFigures>): Promise<void> {
    const item = this.item(tenantId, `DAY#${day}`);
    for (const [group, f] of byGroup) this.addFigures(item, f, group === '' ? undefined : group);
  }

  async days(tenantId: string, from: string, to: string): Promise<UsageDay[]> {
    return [...this.items]
      .filter(([key]) => key.startsWith(`${tenantId}|DAY#`) && key.slice(-10) >= from && key.slice(-10) <= to)
      .map(([key, item]) => usageDayOf(key.slice(-10), item));
  }

  /** Test access: the day item's figures as /v1/usage reads them. */
  day(tenantId: string, day: string): UsageDay {
    return usageDayOf(day, this.item(tenantId, `DAY#${day}`));
  }

  private addFigures(item: Record<string, number>, f: UsageFigures, group?: string): void {
    for (const [figure, value] of [['messages', f.messages], ['segments', f.segments], ['spend', f.spendMicros]] as const) {
      const attribute = figureAttribute(figure, group);
      item[attribute] = (item[attribute] ?? 0) + value;
    }
  }
}

/** The API base URL the API tests run under: problem types are TEST_API_URL/problems/<name>. */
export const TEST_API_URL = 'https://api.test/live';

export interface ApiFixture {
  api: MessagesApi;
  messages: InMemoryMessageRepository;
  requests: InMemoryRequestCounter;
  pumping: InMemoryPumpingCounter;
  optOuts: InMemoryOptOutRepository;
  inbound: InMemoryInboundRepository;
  usage: InMemoryUsageCounter;
  /** Every QuotaUsed figure the API reported. */
  quotaUsed: { tenantId: string; quota: QuotaName; percent: number }[];
  /** The API's clock: NOW unless a test moves it. */
  clock: { now: Date };
  /** Every log line, with its level (info unless the API said otherwise). */
  logs: { event: string; data: Record<string, unknown>; level: ApiLogLevel }[];
  /** Every message stored (not replayed), with the route the API chose for its first attempt. */
  accepted: { record: MessageRecord; route: RouteSelected | undefined }[];
  /** Every message refused over a pumping limit, as the SuspectedPumping metric counts it. */
  suspectedPumping: { tenantId: string; country: string }[];
  /** Carriers routing and dry runs should see as unhealthy. */
  down: Set<string>;
  /** Set it to make reading carrier health fail. */
  health: { error: Error | undefined };
}

export async function apiFixture(configOverrides: Record<string, unknown> = {}): Promise<ApiFixture> {
  const messages = new InMemoryMessageRepository();
  const logs: ApiFixture['logs'] = [];
  const accepted: ApiFixture['accepted'] = [];
  const down = new Set<string>();
  const health: ApiFixture['health'] = { error: undefined };
  const requests = new InMemoryRequestCounter();
  const pumping = new InMemoryPumpingCounter();
  const suspectedPumping: ApiFixture['suspectedPumping'] = [];
  const optOuts = new InMemoryOptOutRepository();
  const inbound = new InMemoryInboundRepository();
  const usage = new InMemoryUsageCounter();
  const quotaUsed: ApiFixture['quotaUsed'] = [];
  const clock = { now: NOW };
  const api = new MessagesApi({
    config: await runtimeConfigFor(configOverrides),
    apiUrl: TEST_API_URL,
    messages,
    list: messages,
    requests,
    pumping,
    optOuts,
    inbound,
    usage,
    onQuotaUsed: (tenantId, quota, percent) => quotaUsed.push({ tenantId, quota, percent }),
    health: async () => {
      if (health.error) throw health.error;
      return (id) => !down.has(id);
    },
    now: () => clock.now,
    onAccepted: (record, route) => accepted.push({ record: structuredClone(record), route }),
    onSuspectedPumping: (tenantId, country) => suspectedPumping.push({ tenantId, country }),
    log: (event, data, level = 'info') => logs.push({ event, data, level }),
  });
  return { api, messages, requests, pumping, optOuts, inbound, usage, quotaUsed, clock, logs, accepted, suspectedPumping, down, health };
}

/** A submission body; fields set to undefined are left out. */
export function submissionBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const body: Record<string, unknown> = { to: MOBILE.GB, text: 'Your code is 123456', ...overrides };
  for (const [k, v] of Object.entries(body)) if (v === undefined) delete body[k];
  return body;
}

/**
 * An API request: POST /v1/messages as tenant acme with a JSON body unless
 * overridden. `body` may be an object (serialised) or a raw string/null.
 */
export function apiRequest(
  overrides: { method?: string; path?: string; headers?: Record<string, string | undefined>; query?: Record<string, string | undefined>; body?: unknown } = {},
): ApiRequest {
  const raw = 'body' in overrides ? overrides.body : submissionBody();
  const body = raw === null || typeof raw === 'string' ? raw : JSON.stringify(raw);
  const headers: Record<string, string | undefined> = { 'content-type': 'application/json', 'x-api-key': API_KEYS.acme, ...overrides.headers };
  for (const [k, v] of Object.entries(headers)) if (v === undefined) delete headers[k];
  return { method: overrides.method ?? 'POST', path: overrides.path ?? '/v1/messages', headers, query: overrides.query ?? {}, body };
}

/** The parsed JSON body of a response (test code reads it freely). */
export function bodyOf(res: APIGatewayProxyResult): any {
  return JSON.parse(res.body);
}

export function headerOf(res: APIGatewayProxyResult, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [k, v] of Object.entries(res.headers ?? {})) if (k.toLowerCase() === wanted) return String(v);
  return undefined;
}

// ---------------------------------------------------------------- router ports

/**
 * The router's view of DynamoDB and SQS, in memory. `transition` applies the
 * store's own rule (transitionInMemory) at the ports' clock.
 */
export class InMemoryRouterPorts implements RouterPorts {
  readonly records = new Map<string, MessageRecord>();
  /** Every envelope handed to a carrier queue, in order. */
  readonly enqueued: CarrierEnvelope[] = [];
  readonly down = new Set<string>();
  clock: Date = NOW;

  constructor(...records: MessageRecord[]) {
    for (const r of records) this.records.set(r.id, structuredClone(r));
  }

  async transition(id: string, to: MessageStatus, options: TransitionOptions): Promise<TransitionResult> {
    const result = transitionInMemory(this.records.get(id), to, { now: this.clock, ...options }, RETENTION_DAYS);
    if (!result.applied) return { applied: false, current: result.current && structuredClone(result.current) };
    this.records.set(id, result.record);
    return { applied: true, record: structuredClone(result.record) };
  }

  async enqueueForCarrier(envelope: CarrierEnvelope): Promise<void> {
    this.enqueued.push(structuredClone(envelope));
  }

  async health(): Promise<HealthCheck> {
    const down = new Set(this.down);
    return (id) => !down.has(id);
  }

  now(): Date {
    return this.clock;
  }

  record(id: string): MessageRecord | undefined {
    const r = this.records.get(id);
    return r && structuredClone(r);
  }
}
