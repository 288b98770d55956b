/**
 * The sweeper's actions on SCHEDULED messages, over an in-memory due index: due ones go to the
 * ingest queue (attempt 1) until the router claims them, canceled or not yet due ones do not.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { Sweeper } from '../../core/aws/sweeper';
import { dueShard, firstDeadline } from '../../core/domain/deadlines';
import type { IngestEnvelope } from '../../core/domain/envelopes';
import type { MessageRecord, MessageStatus } from '../../core/domain/message';
import { routeMessage } from '../../core/domain/route-message';
import { RoutingTable } from '../../core/domain/routing';
import { transitionInMemory, type TransitionOptions } from '../../core/domain/transition';
import { InMemoryRouterPorts, messageRecord, NOW, RETENTION_DAYS, staticRoute } from '../support/factories';

const SEND_AT = new Date(NOW.getTime() + 120_000);

/** Messages with their deadlines, answering the sweeper's due-index queries and message-store calls. */
class InMemoryDueTable {
  readonly records = new Map<string, MessageRecord & { dueAt?: string }>();
  readonly enqueued: IngestEnvelope[] = [];

  add(record: MessageRecord): void {
    this.records.set(record.id, { ...record, dueAt: firstDeadline(record) });
  }

  readonly client = {
    send: async (command: unknown) => {
      if (!(command instanceof QueryCommand)) throw new Error('only queries of the due index are expected');
      const { ':shard': shard, ':now': now } = command.input.ExpressionAttributeValues as Record<string, string>;
      const items = [...this.records.values()]
        .filter((r) => r.dueAt !== undefined && dueShard(r.id) === shard && r.dueAt <= now!)
        .sort((a, b) => a.dueAt!.localeCompare(b.dueAt!))
        .map((r) => ({ pk: `MSG#${r.id}`, sk: 'MSG', kind: 'message', status: r.status, attempt: r.attempt, dueShard: shard, dueAt: r.dueAt }));
      return { Items: items };
    },
  } as unknown as DynamoDBDocumentClient;

  readonly messages = {
    get: async (id: string) => structuredClone(this.records.get(id)),
    transition: async (id: string, to: MessageStatus, options: TransitionOptions = {}) => {
      const result = transitionInMemory(this.records.get(id), to, { now: NOW, ...options }, RETENTION_DAYS);
      if (result.applied) this.records.set(id, result.record);
      return result;
    },
  };

  readonly ingest = { enqueue: async (e: IngestEnvelope) => void this.enqueued.push(structuredClone(e)) };

  /** Recipients that opted out since their message was accepted. */
  readonly optedOut = new Set<string>();

  sweeper(): Sweeper {
    return new Sweeper('table', 'due', this.client, this.messages, this.ingest, () => undefined, async (m) => this.optedOut.has(m.to));
  }
}

function scheduled(overrides: Partial<MessageRecord> = {}): MessageRecord {
  const at = NOW.toISOString();
  return messageRecord({
    status: 'SCHEDULED',
    sendAt: SEND_AT.toISOString(),
    validUntil: new Date(SEND_AT.getTime() + 86_400_000).toISOString(),
    history: [{ status: 'ACCEPTED', at }, { status: 'SCHEDULED', at }],
    ...overrides,
  });
}

describe('Sweeper — scheduled messages', () => {
  it('leaves a SCHEDULED message alone before its sendAt', async () => {
    // Prepare
    const table = new InMemoryDueTable();
    table.add(scheduled());
    // Act
    const result = await table.sweeper().sweep(new Date(SEND_AT.getTime() - 1000));
    // Assess
    expect(result.scheduled).toBe(0);
    expect(table.enqueued).toEqual([]);
  });

  it('hands a due SCHEDULED message to the router as attempt 1', async () => {
    // Prepare
    const table = new InMemoryDueTable();
    const record = scheduled();
    table.add(record);
    // Act
    const result = await table.sweeper().sweep(SEND_AT);
    // Assess
    expect(result).toMatchObject({ scheduled: 1, expired: 0 });
    expect(table.enqueued).toEqual([{ v: 1, messageId: record.id, attempt: 1, tenantId: 'acme', to: record.to, country: 'GB', type: 'transactional', validUntil: record.validUntil }]);
  });

  it('rejects a due schedule whose recipient opted out since its acceptance, opted_out, and never enqueues it', async () => {
    // Prepare
    const table = new InMemoryDueTable();
    const record = scheduled();
    table.add(record);
    table.optedOut.add(record.to);
    // Act
    const result = await table.sweeper().sweep(SEND_AT);
    const again = await table.sweeper().sweep(new Date(SEND_AT.getTime() + 60_000));
    // Assess
    expect(result).toMatchObject({ scheduled: 0, optedOut: 1 });
    expect(again).toMatchObject({ scheduled: 0, optedOut: 0 });
    expect(table.enqueued).toEqual([]);
    expect(table.records.get(record.id)).toMatchObject({ status: 'REJECTED', reason: 'opted_out' });
  });

  it('enqueues it again on the next sweep until the router claims it, and the claim routes it once', async () => {
    // Prepare
    const table = new InMemoryDueTable();
    const record = scheduled();
    table.add(record);
    const ports = new InMemoryRouterPorts(record);
    const routes = new RoutingTable([staticRoute('all', 'c-a', { prefix: ['+'] })]);
    // Act: two sweeps before the router runs, then the router takes both envelopes
    await table.sweeper().sweep(SEND_AT);
    await table.sweeper().sweep(new Date(SEND_AT.getTime() + 60_000));
    for (const envelope of table.enqueued) await routeMessage(envelope, routes, ports);
    // Assess: one deduplication id, one ROUTED
    expect(new Set(table.enqueued.map((e) => `${e.messageId}#${e.attempt}`))).toEqual(new Set([`${record.id}#1`]));
    expect(ports.record(record.id)!.history.filter((h) => h.status === 'ROUTED')).toHaveLength(1);
    expect(ports.enqueued).toHaveLength(2);
    expect(new Set(ports.enqueued.map((e) => `${e.messageId}#${e.attempt}`)).size).toBe(1);
  });

  it('never enqueues a canceled schedule: the cancel took it out of the due index', async () => {
    // Prepare
    const table = new InMemoryDueTable();
    const record = scheduled();
    table.add(record);
    await table.messages.transition(record.id, 'CANCELED', { reason: 'canceled_by_client' });
    table.records.get(record.id)!.dueAt = undefined;
    // Act
    const result = await table.sweeper().sweep(SEND_AT);
    // Assess
    expect(result.scheduled).toBe(0);
    expect(table.enqueued).toEqual([]);
  });

  it('does not enqueue a message the index still shows SCHEDULED once it was canceled (the index lags the table)', async () => {
    // Prepare
    const table = new InMemoryDueTable();
    const record = scheduled();
    table.add(record);
    const stale = table.client.send.bind(table.client);
    await table.messages.transition(record.id, 'CANCELED', { reason: 'canceled_by_client' });
    // The index item still says SCHEDULED: the sweeper must read the record before enqueueing.
    table.records.get(record.id)!.dueAt = SEND_AT.toISOString();
    const lagging = { send: async (c: unknown) => ({ Items: ((await stale(c as never)) as { Items: Record<string, unknown>[] }).Items.map((i) => ({ ...i, status: 'SCHEDULED' })) }) } as unknown as DynamoDBDocumentClient;
    // Act
    const result = await new Sweeper('table', 'due', lagging, table.messages, table.ingest).sweep(SEND_AT);
    // Assess
    expect(result.scheduled).toBe(0);
    expect(table.enqueued).toEqual([]);
    expect(table.records.get(record.id)!.status).toBe('CANCELED');
  });

  it('expires a schedule found only after its validity ended (the sweeps stopped meanwhile)', async () => {
    // Prepare
    const table = new InMemoryDueTable();
    const record = scheduled({ validUntil: new Date(SEND_AT.getTime() + 60_000).toISOString() });
    table.add(record);
    // Act
    const result = await table.sweeper().sweep(new Date(SEND_AT.getTime() + 120_000));
    // Assess
    expect(result).toMatchObject({ scheduled: 0, expired: 1 });
    expect(table.enqueued).toEqual([]);
    expect(table.records.get(record.id)!.status).toBe('EXPIRED');
  });

  it('takes every due schedule in one sweep, whatever shards they fall in', async () => {
    // Prepare: 30 messages due at the same minute, whichever shards they fall in
    const table = new InMemoryDueTable();
    for (let i = 0; i < 30; i++) table.add(scheduled({ id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}` }));
    // Act
    const result = await table.sweeper().sweep(SEND_AT);
    // Assess
    expect(result.scheduled).toBe(30);
    expect(new Set(table.enqueued.map((e) => e.messageId)).size).toBe(30);
  });
});
