/**
 * OptOutStore's reads beyond its three writes (core/aws/opt-out-store.ts): the acceptance check's
 * lookup (one GetItem for one key, BatchGetItem for more, UnprocessedKeys asked again) and the
 * list's pages (removed items filtered out, further queries to fill a page, the next sort key).
 * The DynamoDB client is a stub that records the commands; test/integration/opt-outs.test.ts
 * runs the same code against the emulator through the API.
 */
import { BatchGetCommand, GetCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { OptOutStore } from '../../core/aws/opt-out-store';

const AT = '2026-12-01T10:00:00.000Z';

function item(number: string, state = 'opted-out', sender?: string): Record<string, unknown> {
  return { pk: 'OPTOUT#acme', sk: sender ? `${number}#${sender}` : number, kind: 'opt-out', number, ...(sender ? { sender } : {}), state, optedOutAt: AT, source: 'api' };
}

function stubClient(answer: (command: unknown, n: number) => unknown): { client: DynamoDBDocumentClient; sent: unknown[] } {
  const sent: unknown[] = [];
  const client = { send: async (command: unknown) => answer(command, sent.push(command) - 1) } as unknown as DynamoDBDocumentClient;
  return { client, sent };
}

describe('OptOutStore.inForce', () => {
  it('reads one key with one consistent GetItem, and the opt-out only when it is in force', async () => {
    const { client, sent } = stubClient(() => ({ Item: item('+447400123401') }));
    expect(await new OptOutStore('t', client).inForce('acme', [{ number: '+447400123401' }, { number: '+447400123401' }])).toEqual([
      { number: '+447400123401', optedOutAt: AT, source: 'api' },
    ]);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toBeInstanceOf(GetCommand);
    expect((sent[0] as GetCommand).input).toMatchObject({ Key: { pk: 'OPTOUT#acme', sk: '+447400123401' }, ConsistentRead: true });
  });

  it('reads several keys with BatchGetItem, asks again for the unprocessed ones, and leaves removed opt-outs out', async () => {
    const { client, sent } = stubClient((command, n) => {
      const keys = (command as BatchGetCommand).input.RequestItems!.t!.Keys!;
      if (n === 0) return { Responses: { t: [item('+447400123401', 'removed')] }, UnprocessedKeys: { t: { Keys: keys.slice(1) } } };
      return { Responses: { t: [item('+447400123402', 'opted-out', 'ACME')] } };
    });
    const found = await new OptOutStore('t', client).inForce('acme', [{ number: '+447400123401' }, { number: '+447400123402', sender: 'ACME' }]);
    expect(found).toEqual([{ number: '+447400123402', sender: 'ACME', optedOutAt: AT, source: 'api' }]);
    expect(sent.every((c) => c instanceof BatchGetCommand)).toBe(true);
    expect((sent[0] as BatchGetCommand).input.RequestItems!.t).toMatchObject({ ConsistentRead: true, Keys: [{ pk: 'OPTOUT#acme', sk: '+447400123401' }, { pk: 'OPTOUT#acme', sk: '+447400123402#ACME' }] });
    expect((sent[1] as BatchGetCommand).input.RequestItems!.t!.Keys).toEqual([{ pk: 'OPTOUT#acme', sk: '+447400123402#ACME' }]);
  });

  it('splits more than 100 keys into requests of 100', async () => {
    const { client, sent } = stubClient(() => ({ Responses: { t: [] } }));
    const keys = Array.from({ length: 150 }, (_, i) => ({ number: `+4474001${String(i).padStart(5, '0')}` }));
    await new OptOutStore('t', client).inForce('acme', keys);
    expect(sent.map((c) => (c as BatchGetCommand).input.RequestItems!.t!.Keys!.length)).toEqual([100, 50]);
  });
});

describe('OptOutStore.list', () => {
  it('queries the tenant’s partition for opt-outs in force, from the given sort key, and returns the next one', async () => {
    const { client, sent } = stubClient(() => ({ Items: [item('+447400123402')], LastEvaluatedKey: { pk: 'OPTOUT#acme', sk: '+447400123402' } }));
    const page = await new OptOutStore('t', client).list('acme', { limit: 1, after: '+447400123401' });
    expect(page).toEqual({ optOuts: [{ number: '+447400123402', optedOutAt: AT, source: 'api' }], next: '+447400123402' });
    expect(sent[0]).toBeInstanceOf(QueryCommand);
    expect((sent[0] as QueryCommand).input).toMatchObject({
      KeyConditionExpression: 'pk = :pk',
      FilterExpression: '#state = :out',
      ExpressionAttributeValues: { ':pk': 'OPTOUT#acme', ':out': 'opted-out' },
      Limit: 1,
      ExclusiveStartKey: { pk: 'OPTOUT#acme', sk: '+447400123401' },
    });
  });

  it('queries on to fill a page the filter left short, and ends without a next key on the last page', async () => {
    const { client, sent } = stubClient((_c, n) =>
      n === 0 ? { Items: [item('+447400123401')], LastEvaluatedKey: { pk: 'OPTOUT#acme', sk: '+447400123402' } } : { Items: [item('+447400123403')] },
    );
    const page = await new OptOutStore('t', client).list('acme', { limit: 2 });
    expect(page.optOuts.map((o) => o.number)).toEqual(['+447400123401', '+447400123403']);
    expect(page.next).toBeUndefined();
    expect((sent[1] as QueryCommand).input).toMatchObject({ Limit: 1, ExclusiveStartKey: { sk: '+447400123402' } });
  });
});
