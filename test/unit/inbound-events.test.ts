/**
 * The events of a recorded inbound message: the stream INSERT of its item becomes the tenant's
 * message.inbound event (status topic → webhook, to its inboundUrl only) and the InboundEvent of
 * the inbound topic; an unowned message only the latter; any other change nothing.
 */
import type { SNSClient } from '@aws-sdk/client-sns';
import type { PublishBatchCommand } from '@aws-sdk/client-sns';
import { describe, expect, it } from 'vitest';
import { InboundTopic } from '../../core/aws/inbound-topic';
import { StatusTopic } from '../../core/aws/status-topic';
import { inboundEventsFromChange, type InboundWebhookEvent } from '../../core/domain/inbound-event';
import { planChange } from '../../core/domain/outbox';
import { deliverStatusEvent } from '../../core/webhook/deliver-status-event';
import { GroupBackoff } from '../../core/webhook/group-backoff';
import { parseStatusEventBody } from '../../core/webhook/status-event-body';
import { InMemoryWebhookPorts, sqsRecord } from '../support/factories';

const ID = '0123456789abcdef0123456789abcdef';
const item = {
  pk: `INBOUND#${ID}`,
  sk: 'INBOUND',
  kind: 'inbound-message',
  id: ID,
  tenantId: 'acme',
  carrierId: 'sim-a',
  from: '+447700900123',
  to: '+447700900000',
  text: 'Yes please',
  parts: 1,
  receivedAt: '2026-12-01T12:00:00.000Z',
  listShard: 'INBOX#acme',
  listAt: `2026-12-01T12:00:00.000Z#${ID}`,
  expiresAt: 1_796_000_000,
};
const message = { carrierId: 'sim-a', from: '+447700900123', to: '+447700900000', text: 'Yes please', parts: 1, receivedAt: '2026-12-01T12:00:00.000Z' };
const webhookEvent: InboundWebhookEvent = { version: 1, type: 'message.inbound', eventId: `inbound:${ID}`, tenantId: 'acme', inboundId: ID, ...message, occurredAt: '2026-12-01T12:00:00.000Z' };

describe('inboundEventsFromChange', () => {
  it('makes the webhook event and the topic event of an owned message’s INSERT', () => {
    expect(inboundEventsFromChange('INSERT', item)).toEqual({ webhook: [webhookEvent], topic: [{ version: 1, type: 'inbound', tenantId: 'acme', id: ID, ...message }] });
  });

  it('makes only the topic event of an unowned message', () => {
    const { tenantId: _t, ...unowned } = item;
    expect(inboundEventsFromChange('INSERT', { ...unowned, listShard: 'INBOX#(unowned)' })).toEqual({ webhook: [], topic: [{ version: 1, type: 'inbound', id: ID, ...message }] });
  });

  it('makes nothing of a removal (TTL) or of another item', () => {
    expect(inboundEventsFromChange('REMOVE', item)).toEqual({ webhook: [], topic: [] });
    expect(inboundEventsFromChange('INSERT', { ...item, kind: 'inbound-part' })).toEqual({ webhook: [], topic: [] });
  });

  it('throws on an inbound item without its fields, so that stream record fails', () => {
    expect(() => inboundEventsFromChange('INSERT', { ...item, receivedAt: 'noon' })).toThrow();
  });
});

describe('the outbox plan of an inbound message', () => {
  it('publishes its webhook event only for a tenant with an inboundUrl (statusEvents.publish callbacks), its topic event always', () => {
    const withUrl = planChange('INSERT', undefined, item, { publish: 'callbacks', tenantsWithCallback: new Set(), tenantsWithInboundUrl: new Set(['acme']) });
    const without = planChange('INSERT', undefined, item, { publish: 'callbacks', tenantsWithCallback: new Set(['acme']), tenantsWithInboundUrl: new Set() });
    expect(withUrl.entries.map((e) => e.kind)).toEqual(['publish', 'inbound']);
    expect(without.entries.map((e) => e.kind)).toEqual(['inbound']);
    expect(without.unpublished).toBe(1);
  });
});

describe('the status topic and the webhook', () => {
  it('marks a message.inbound event for the webhook by its tenant’s inboundUrl, one message group per inbound message', async () => {
    const sent: PublishBatchCommand[] = [];
    const client = { send: async (c: PublishBatchCommand) => (sent.push(c), { Successful: [{ Id: '0' }, { Id: '1' }] }) } as unknown as SNSClient;
    await new StatusTopic('arn:status.fifo', new Set(['globex']), client, 'batch', new Set(['acme'])).publishBatch([webhookEvent, { ...webhookEvent, tenantId: 'globex', eventId: 'inbound:other' }]);
    expect(sent[0]!.input.PublishBatchRequestEntries!.map((e) => [e.MessageGroupId, e.MessageAttributes!.callback!.StringValue, e.MessageAttributes!.status])).toEqual([
      [`inbound:${ID}`, 'yes', undefined],
      ['inbound:other', 'no', undefined],
    ]);
  });

  it('publishes topic events with their carrier and tenant as attributes', async () => {
    const sent: PublishBatchCommand[] = [];
    const client = { send: async (c: PublishBatchCommand) => (sent.push(c), { Successful: [{ Id: '0' }] }) } as unknown as SNSClient;
    expect(await new InboundTopic('arn:inbound', client).publishBatch([{ version: 1, type: 'inbound', tenantId: 'acme', id: ID, ...message }])).toEqual([undefined]);
    expect(sent[0]!.input.PublishBatchRequestEntries![0]!.MessageAttributes).toEqual({ carrierId: { DataType: 'String', StringValue: 'sim-a' }, tenantId: { DataType: 'String', StringValue: 'acme' } });
  });

  it('reads a message.inbound body off the webhook queue and posts it to the tenant’s inboundUrl, never its callback URL', async () => {
    const body = JSON.stringify(webhookEvent);
    expect(parseStatusEventBody(body)).toEqual(webhookEvent);
    const ports = new InMemoryWebhookPorts();
    expect(await deliverStatusEvent(parseStatusEventBody(body), sqsRecord(body, 1), new GroupBackoff(), ports)).toMatchObject({ outcome: 'delivered', host: 'hooks.acme.example' });
    expect(ports.posted).toEqual([{ eventId: `inbound:${ID}`, url: 'https://hooks.acme.example/inbound', secret: 'whsec_test_acme' }]);
    ports.inboundUrls.clear();
    expect(await deliverStatusEvent(webhookEvent, sqsRecord(body, 1), new GroupBackoff(), ports)).toEqual({ outcome: 'no-callback' });
  });

  it('refuses a message.inbound body without its fields, naming them', () => {
    expect(() => parseStatusEventBody(JSON.stringify({ ...webhookEvent, inboundId: undefined }))).toThrow(/inboundId/);
  });
});
