/**
 * How InboundStore records a complete message once, and lists a tenant's page, with a DynamoDB
 * client stub that records the commands; test/integration/inbound.test.ts runs the same against
 * the emulator's table.
 */
import { GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { InboundStore } from '../../core/aws/inbound-store';
import { singlePartIds } from '../../core/domain/inbound-dedup';

const NOW = new Date('2026-12-01T12:05:00.000Z');
const PART = { carrierId: 'sim-a', from: '+447700900123', to: '+447700900100', text: 'Yes', dataCoding: 0 };

function stubClient(answer: (command: unknown) => unknown): { client: DynamoDBDocumentClient; sent: unknown[] } {
  const sent: unknown[] = [];
  const client = { send: async (command: unknown) => (sent.push(command), answer(command)) } as unknown as DynamoDBDocumentClient;
  return { client, sent };
}
const conditionFailed = () => {
  throw Object.assign(new Error('the conditional request failed'), { name: 'ConditionalCheckFailedException' });
};

describe('InboundStore.record', () => {
  it('puts a new message once, with its tenant, inbox keys and retention TTL, after checking the previous window', async () => {
    // Prepare
    const { client, sent } = stubClient(() => ({}));
    const store = new InboundStore('messages', client, 7);
    const complete = (await store.addPart(PART, NOW))!;

    // Act
    const recorded = await store.record(complete, 'globex');

    // Assess
    expect(recorded).toEqual({ created: true, message: { ...complete.message, tenantId: 'globex' } });
    expect(sent.map((c) => c?.constructor.name)).toEqual(['GetCommand', 'PutCommand']);
    expect((sent[0] as GetCommand).input).toMatchObject({ Key: { pk: `INBOUND#${singlePartIds(PART, NOW).previousId}`, sk: 'INBOUND' }, ConsistentRead: true });
    expect((sent[1] as PutCommand).input).toMatchObject({
      ConditionExpression: 'attribute_not_exists(pk)',
      Item: { pk: `INBOUND#${complete.message.id}`, kind: 'inbound-message', tenantId: 'globex', listShard: 'INBOX#globex', listAt: `2026-12-01T12:05:00.000Z#${complete.message.id}`, expiresAt: NOW.getTime() / 1000 + 7 * 86_400 },
    });
  });

  it('records nothing for a resend that finds the message of the previous window, received within the last 10 minutes', async () => {
    const first = { id: 'f'.repeat(32), ...PART, parts: 1, receivedAt: '2026-12-01T11:58:00.000Z', tenantId: 'globex' };
    const { client, sent } = stubClient(() => ({ Item: { pk: 'INBOUND#f', sk: 'INBOUND', kind: 'inbound-message', ...first } }));
    const store = new InboundStore('messages', client);
    const recorded = await store.record((await store.addPart(PART, NOW))!, 'globex');
    expect(recorded).toEqual({ created: false, message: { ...first, dataCoding: 0 } });
    expect(sent).toHaveLength(1);
  });

  it('records a message again when the previous window’s copy came more than 10 minutes ago', async () => {
    const { client, sent } = stubClient((c) => (c instanceof GetCommand ? { Item: { id: 'f'.repeat(32), receivedAt: '2026-12-01T11:54:59.999Z' } } : {}));
    const store = new InboundStore('messages', client);
    expect((await store.record((await store.addPart(PART, NOW))!, undefined)).created).toBe(true);
    expect((sent[1] as PutCommand).input.Item).toMatchObject({ listShard: 'INBOX#(unowned)' });
    expect((sent[1] as PutCommand).input.Item).not.toHaveProperty('tenantId');
  });

  it('answers a resend in the same window with the message first recorded, read after the refused put', async () => {
    const complete = (await new InboundStore('messages', stubClient(() => ({})).client).addPart(PART, NOW))!;
    const stored = { ...complete.message, receivedAt: '2026-12-01T12:01:00.000Z', tenantId: 'globex' };
    let gets = 0;
    const { client } = stubClient((c) => (c instanceof PutCommand ? conditionFailed() : ++gets === 1 ? {} : { Item: stored }));
    expect(await new InboundStore('messages', client).record(complete, 'globex')).toEqual({ created: false, message: stored });
  });
});

describe('InboundStore.list', () => {
  it('queries the tenant’s inbox newest first, since as a key condition, to and from as filters, from the cursor on', async () => {
    const after = `2026-12-01T12:00:00.000Z#${'a'.repeat(32)}`;
    const { client, sent } = stubClient(() => ({ Items: [], LastEvaluatedKey: { listAt: 'next' } }));
    const page = await new InboundStore('messages', client).list('globex', { limit: 2, to: ['+447700900100', '447700900100'], from: '+447700900123', since: '2026-12-01T00:00:00.000Z', after });
    expect((sent[0] as QueryCommand).input).toMatchObject({
      IndexName: 'list',
      KeyConditionExpression: 'listShard = :pk AND listAt >= :since',
      FilterExpression: '#to IN (:to0, :to1) AND #from = :from',
      ScanIndexForward: false,
      Limit: 2,
      ExclusiveStartKey: { listShard: 'INBOX#globex', listAt: after, pk: `INBOUND#${'a'.repeat(32)}`, sk: 'INBOUND' },
    });
    // Filters that skip everything: a few queries, then a page that ends early with its cursor.
    expect(sent).toHaveLength(5);
    expect(page).toEqual({ inbound: [], next: 'next' });
  });

  it('reads the page’s messages in one BatchGetItem and gives them in the index’s order, without the table’s own attributes', async () => {
    const key = (n: string) => ({ pk: `INBOUND#${n.repeat(32)}`, sk: 'INBOUND' });
    const item = (n: string) => ({ ...key(n), kind: 'inbound-message', listShard: 'INBOX#globex', listAt: `2026-12-01T12:00:0${n}.000Z#${n.repeat(32)}`, expiresAt: 1, id: n.repeat(32), text: `text ${n}` });
    const { client, sent } = stubClient((command) =>
      command instanceof QueryCommand ? { Items: [item('b'), item('a')].map((i) => ({ ...key(i.id[0]!), listShard: i.listShard, listAt: i.listAt })) } : { Responses: { messages: [item('a'), item('b')] } },
    );
    const page = await new InboundStore('messages', client).list('globex', { limit: 2 });
    expect(sent.map((c) => (c as object).constructor.name)).toEqual(['QueryCommand', 'BatchGetCommand']);
    expect(page).toEqual({ inbound: [{ id: 'b'.repeat(32), text: 'text b' }, { id: 'a'.repeat(32), text: 'text a' }] });
  });
});
