import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseMessageListQuery } from '../../core/api/messages-list-api';
import {
  allListShards,
  decodeListCursor,
  encodeListCursor,
  listAt,
  listShard,
  LIST_SHARDS,
  mergeShardPages,
  type ListKey,
  type ShardPage,
  type ShardPosition,
} from '../../core/domain/message-list';
import { API_KEYS, apiFixture, apiRequest, bodyOf, MOBILE, submissionBody } from '../support/factories';

type Item = ListKey & { to: string };

/** One shard's Query as DynamoDB answers it: newest first after the start key, Limit items read, then the filter. */
function queryShard(items: readonly Item[], position: ShardPosition, limit: number, to: string | undefined): ShardPage<Item> {
  if (position === 'done') return { items: [] };
  const after = items.filter((i) => position === undefined || i.listAt < position.listAt);
  const read = after.slice(0, limit);
  const lastKey = after.length > limit ? read.at(-1) : undefined;
  return { items: read.filter((i) => to === undefined || i.to === to), ...(lastKey ? { lastKey: { pk: lastKey.pk, sk: lastKey.sk, listShard: lastKey.listShard, listAt: lastKey.listAt } } : {}) };
}

function itemsOf(specs: readonly { second: number; to: number }[]): Item[] {
  return specs.map(({ second, to }, n) => {
    const id = `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
    const createdAt = new Date(Date.UTC(2026, 11, 1, 20, 0, second)).toISOString();
    return { pk: `MSG#${id}`, sk: 'MSG', listShard: listShard('acme', id), listAt: listAt(createdAt, id), to: `+44770090000${to}` };
  });
}

describe('the list index’s shards', () => {
  it('spread a tenant’s messages over its own LIST_SHARDS partitions', () => {
    const shards = new Set(itemsOf(Array.from({ length: 200 }, (_, i) => ({ second: i % 60, to: 1 }))).map((i) => i.listShard));
    expect([...shards].sort()).toEqual(allListShards('acme').sort());
    expect(shards.size).toBe(LIST_SHARDS);
  });
});

describe('mergeShardPages', () => {
  it('pages through every matching message once, newest first, whatever the limit, the filter and the ties in time', () => {
    fc.assert(
      fc.property(
        // Few distinct seconds, so many messages share a createdAt, as a batch's do.
        fc.array(fc.record({ second: fc.integer({ min: 0, max: 5 }), to: fc.integer({ min: 1, max: 3 }) }), { maxLength: 60 }),
        fc.integer({ min: 1, max: 7 }),
        fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
        (specs, limit, toFilter) => {
          const items = itemsOf(specs);
          const to = toFilter === undefined ? undefined : `+44770090000${toFilter}`;
          const byShard = allListShards('acme').map((s) => items.filter((i) => i.listShard === s).sort((a, b) => (a.listAt < b.listAt ? 1 : -1)));
          let positions: ShardPosition[] = byShard.map(() => undefined);
          const seen: string[] = [];
          for (let page = 0; page < 500 && positions.some((p) => p !== 'done'); page++) {
            const pages = byShard.map((shardItems, i) => queryShard(shardItems, positions[i], limit, to));
            const merged = mergeShardPages(pages, positions, limit);
            expect(merged.items.length).toBeLessThanOrEqual(limit);
            seen.push(...merged.items.map((i) => i.listAt));
            positions = merged.positions;
          }
          const expected = items.filter((i) => to === undefined || i.to === to).map((i) => i.listAt).sort().reverse();
          expect(positions.every((p) => p === 'done')).toBe(true);
          expect(seen).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('the list cursor', () => {
  it('comes back as the same shard positions for the same tenant', () => {
    const [item] = itemsOf([{ second: 1, to: 1 }]);
    const positions: ShardPosition[] = [undefined, 'done', item!, 'done'];
    const decoded = decodeListCursor('acme', encodeListCursor(positions)!)!;
    expect(decoded[0]).toBeUndefined();
    expect(decoded[1]).toBe('done');
    expect(decoded[2]).toEqual({ pk: item!.pk, sk: 'MSG', listShard: 'acme#2', listAt: item!.listAt });
  });

  it('is absent when every shard is done', () => {
    expect(encodeListCursor(['done', 'done', 'done', 'done'])).toBeUndefined();
  });

  it('names only the asking tenant’s shards, so another tenant’s cursor cannot reach its messages', () => {
    const [item] = itemsOf([{ second: 1, to: 1 }]);
    const decoded = decodeListCursor('globex', encodeListCursor([item!, undefined, undefined, undefined])!)!;
    expect((decoded[0] as ListKey).listShard).toBe('globex#0');
  });

  it.each([['not base64 json', 'x'], ['a wrong shape', Buffer.from('{"a":1}').toString('base64url')], ['a forged key', Buffer.from(JSON.stringify(['MSG#x', null, null, null])).toString('base64url')]])(
    'is refused when it is %s',
    (_, cursor) => {
      expect(decodeListCursor('acme', cursor)).toBeUndefined();
    },
  );
});

describe('the list query', () => {
  it('takes every filter, with times in UTC and statuses in any case', () => {
    const parsed = parseMessageListQuery('acme', { to: '+447700900123', from: 'ACME', status: 'delivered,FAILED', since: '2026-12-01T21:00:00+01:00', until: '2026-12-02T00:00:00Z', limit: '10' });
    expect(parsed).toEqual({ ok: true, value: { tenantId: 'acme', to: '+447700900123', from: 'ACME', status: ['DELIVERED', 'FAILED'], since: '2026-12-01T20:00:00.000Z', until: '2026-12-02T00:00:00.000Z', limit: 10 } });
  });

  it('names each field it refuses', () => {
    const parsed = parseMessageListQuery('acme', { to: '07700900123', status: 'SENT', since: 'yesterday', limit: '500' });
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.problems.map((p) => p.field).sort()).toEqual(['limit', 'since', 'status', 'to']);
  });

  it('refuses an until that is not after since', () => {
    const parsed = parseMessageListQuery('acme', { since: '2026-12-01T20:00:00Z', until: '2026-12-01T20:00:00Z' });
    expect(!parsed.ok && parsed.problems.map((p) => p.field)).toEqual(['until']);
  });
});

describe('GET /v1/messages', () => {
  const list = (query: Record<string, string> = {}, apiKey: string = API_KEYS.acme) => apiRequest({ method: 'GET', path: '/v1/messages', query, headers: { 'x-api-key': apiKey }, body: null });

  it('lists the tenant’s own messages newest first, a page at a time, and filters them', async () => {
    // Prepare: three of acme's messages a second apart, one of globex's
    const { api, clock } = await apiFixture();
    const ids: string[] = [];
    for (const to of [MOBILE.GB, MOBILE.DE, MOBILE.GB]) {
      ids.push(bodyOf(await api.handle(apiRequest({ body: submissionBody({ to }) }))).id);
      clock.now = new Date(clock.now.getTime() + 1000);
    }
    await api.handle(apiRequest({ body: submissionBody(), headers: { 'x-api-key': API_KEYS.globex } }));
    // Act
    const first = await api.handle(list({ limit: '2' }));
    const second = await api.handle(list({ limit: '2', cursor: bodyOf(first).nextCursor }));
    const toGb = await api.handle(list({ to: MOBILE.GB }));
    // Assess
    expect(first.statusCode).toBe(200);
    expect(bodyOf(first).messages.map((m: { id: string }) => m.id)).toEqual([ids[2], ids[1]]);
    expect(bodyOf(second).messages.map((m: { id: string }) => m.id)).toEqual([ids[0]]);
    expect(bodyOf(second).nextCursor).toBeUndefined();
    expect(bodyOf(toGb).messages.map((m: { id: string }) => m.id)).toEqual([ids[2], ids[0]]);
    expect(bodyOf(first).messages[0]).not.toHaveProperty('text');
  });

  it('answers 405 to GET /v1/messages/, what an id of "/" leaves once API Gateway decodes %2F: a read of no message is not a list', async () => {
    const { api } = await apiFixture();
    const res = await api.handle(apiRequest({ method: 'GET', path: '/v1/messages/', body: null }));
    expect(res.statusCode).toBe(405);
  });

  it('answers 400 naming the cursor when it is not one the API gave', async () => {
    const { api } = await apiFixture();
    const res = await api.handle(list({ cursor: 'forged' }));
    expect(res.statusCode).toBe(400);
    expect(bodyOf(res).errors).toEqual([expect.objectContaining({ field: 'cursor' })]);
  });

  it('answers 400 naming each field it refuses', async () => {
    const { api } = await apiFixture();
    const res = await api.handle(list({ status: 'LOST', to: 'nobody' }));
    expect(res.statusCode).toBe(400);
    expect(bodyOf(res).errors.map((e: { field: string }) => e.field).sort()).toEqual(['status', 'to']);
  });
});
