/**
 * Opt-out events: which changes of an opt-out item become an event (core/domain/opt-out-event.ts),
 * what the outbox plans for them and for a message stored REJECTED opted_out, how the status topic
 * groups them, and how the webhook side reads and addresses them.
 */
import { PublishBatchCommand, type SNSClient } from '@aws-sdk/client-sns';
import { describe, expect, it } from 'vitest';
import { StatusTopic } from '../../core/aws/status-topic';
import { optOutEventsFromChange } from '../../core/domain/opt-out-event';
import { planChange, type StatusEventAudience } from '../../core/domain/outbox';
import { deliverStatusEvent } from '../../core/webhook/deliver-status-event';
import { GroupBackoff } from '../../core/webhook/group-backoff';
import { InvalidStatusEventError, parseStatusEventBody } from '../../core/webhook/status-event-body';
import { InMemoryWebhookPorts, sqsRecord } from '../support/factories';

const OPTED_OUT_AT = '2026-12-01T10:00:00.000Z';
const REMOVED_AT = '2026-12-01T11:00:00.000Z';

function optOutItem(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { pk: 'OPTOUT#acme', sk: '+447400123456', kind: 'opt-out', number: '+447400123456', state: 'opted-out', optedOutAt: OPTED_OUT_AT, source: 'keyword', keyword: 'STOP', updatedAt: OPTED_OUT_AT, ...overrides };
}

const removed = optOutItem({ state: 'removed', removedAt: REMOVED_AT, updatedAt: REMOVED_AT });
const everyone: StatusEventAudience = { publish: 'callbacks', tenantsWithCallback: new Set(['acme']) };

describe('optOutEventsFromChange', () => {
  it('an inserted opt-out is opt_out.created, with the opt-out’s fields and its time as occurredAt', () => {
    expect(optOutEventsFromChange('INSERT', undefined, optOutItem())).toEqual([
      {
        version: 1,
        type: 'opt_out.created',
        eventId: expect.stringMatching(/^opt-out:[0-9a-f]{32}$/),
        tenantId: 'acme',
        number: '+447400123456',
        source: 'keyword',
        keyword: 'STOP',
        optedOutAt: OPTED_OUT_AT,
        occurredAt: OPTED_OUT_AT,
      },
    ]);
  });

  it('a removal is opt_out.deleted with removedAt, and a STOP after it is opt_out.created again', () => {
    const [deleted] = optOutEventsFromChange('MODIFY', optOutItem(), removed);
    expect(deleted).toMatchObject({ type: 'opt_out.deleted', removedAt: REMOVED_AT, occurredAt: REMOVED_AT, optedOutAt: OPTED_OUT_AT });
    const again = optOutItem({ optedOutAt: '2026-12-02T00:00:00.000Z' });
    expect(optOutEventsFromChange('MODIFY', removed, again).map((e) => e.type)).toEqual(['opt_out.created']);
  });

  it('gives the same event id to the same change processed twice, and another to the next change', () => {
    const once = optOutEventsFromChange('INSERT', undefined, optOutItem())[0]!.eventId;
    expect(optOutEventsFromChange('INSERT', undefined, optOutItem())[0]!.eventId).toBe(once);
    expect(optOutEventsFromChange('MODIFY', optOutItem(), removed)[0]!.eventId).not.toBe(once);
  });

  it('carries the sender of an opt-out of one sender', () => {
    const [event] = optOutEventsFromChange('INSERT', undefined, optOutItem({ sk: '+447400123456#ACME', sender: 'ACME' }));
    expect(event).toMatchObject({ sender: 'ACME', number: '+447400123456' });
  });

  it('yields nothing for other items, removals of items and changes that keep the state', () => {
    expect(optOutEventsFromChange('INSERT', undefined, { pk: 'RATE#acme', sk: '1', kind: 'request-count' })).toEqual([]);
    expect(optOutEventsFromChange('REMOVE', optOutItem(), undefined)).toEqual([]);
    expect(optOutEventsFromChange('MODIFY', optOutItem(), optOutItem({ updatedAt: REMOVED_AT }))).toEqual([]);
  });

  it('throws on an opt-out item without the expected shape, so the stream record fails', () => {
    expect(() => optOutEventsFromChange('INSERT', undefined, optOutItem({ optedOutAt: 'yesterday' }))).toThrow();
  });
});

describe('the outbox plan', () => {
  it('publishes an opt-out change’s event and sends nothing to any queue', () => {
    const planned = planChange('INSERT', undefined, optOutItem(), everyone);
    expect(planned.entries.map((e) => (e.kind === 'publish' ? e.event.type : e.kind))).toEqual(['opt_out.created']);
  });

  it('publishes no opt-out event of a tenant without a callback URL unless statusEvents.publish is all', () => {
    expect(planChange('INSERT', undefined, optOutItem({ pk: 'OPTOUT#globex' }), everyone)).toEqual({ entries: [], unpublished: 1 });
    expect(planChange('INSERT', undefined, optOutItem({ pk: 'OPTOUT#globex' }), { ...everyone, publish: 'all' }).entries).toHaveLength(1);
  });

  it('sends a message stored REJECTED opted_out to no queue, and publishes its ACCEPTED and REJECTED events', () => {
    const at = '2026-12-01T10:00:00.000Z';
    const record = {
      kind: 'message', pk: 'MSG#m1', sk: 'MSG', id: 'm1', tenantId: 'acme', status: 'REJECTED', reason: 'opted_out', to: '+447400123456', text: 'Sale', type: 'promotional',
      encoding: 'GSM7', segments: 1, attempt: 0, createdAt: at, updatedAt: at, validUntil: at,
      history: [{ status: 'ACCEPTED', at }, { status: 'REJECTED', at, reason: 'opted_out' }],
    };
    const planned = planChange('INSERT', undefined, record, everyone);
    expect(planned.entries.map((e) => (e.kind === 'publish' && e.event.type === 'message.status' ? [e.event.status, e.event.reason] : e.kind))).toEqual([['ACCEPTED', undefined], ['REJECTED', 'opted_out']]);
  });
});

describe('the status topic and the webhook side', () => {
  it('publishes an opt-out event in the group of its tenant and number, marked for the tenant’s callback', async () => {
    const sent: PublishBatchCommand[] = [];
    const client = { send: async (c: PublishBatchCommand) => (sent.push(c), { Successful: [{ Id: '0' }] }) } as unknown as SNSClient;
    const [event] = optOutEventsFromChange('INSERT', undefined, optOutItem());
    await new StatusTopic('arn:aws:sns:us-east-1:000000000000:status.fifo', new Set(['acme']), client).publishBatch([event!]);
    const entry = sent[0]!.input.PublishBatchRequestEntries![0]!;
    expect(entry.MessageGroupId).toBe('opt-out:acme:+447400123456');
    expect(entry.MessageDeduplicationId).toBe(event!.eventId);
    expect(entry.MessageAttributes).toMatchObject({ type: { StringValue: 'opt_out.created' }, callback: { StringValue: 'yes' } });
    expect(entry.MessageAttributes!.status).toBeUndefined();
  });

  it('reads an opt-out event from a webhook queue body, and names the field of a broken one', () => {
    const [event] = optOutEventsFromChange('MODIFY', optOutItem(), removed);
    expect(parseStatusEventBody(JSON.stringify(event))).toEqual(event);
    expect(() => parseStatusEventBody(JSON.stringify({ ...event, number: '' }))).toThrow(InvalidStatusEventError);
    expect(() => parseStatusEventBody(JSON.stringify({ ...event, number: undefined }))).toThrow(/number/);
  });

  it('posts an opt-out event to its tenant’s callback URL, signed with the tenant’s secret', async () => {
    const ports = new InMemoryWebhookPorts();
    const [event] = optOutEventsFromChange('INSERT', undefined, optOutItem());
    const result = await deliverStatusEvent(event!, sqsRecord(JSON.stringify(event), 1), new GroupBackoff(), ports);
    expect(result.outcome).toBe('delivered');
    expect(ports.posted).toEqual([{ eventId: event!.eventId, url: 'https://hooks.acme.example/sms?token=t0ps3cret', secret: 'whsec_test_acme' }]);
  });
});
