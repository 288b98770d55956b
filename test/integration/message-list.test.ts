/**
 * GET /v1/messages against the stack on the emulator: the list index (listShard / listAt) as
 * DynamoDB serves it, through API Gateway. No SMPP worker runs: the messages stay ROUTED.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { http, ukMobile, useLocalAws, waitFor } from '../support/local';

const GLOBEX_KEY = 'dev-globex-key-0123456789';

beforeAll(() => {
  useLocalAws();
});

const ids = (res: { body: { messages: { id: string }[] } }) => res.body.messages.map((m) => m.id);

async function sendTo(to: string, key?: string): Promise<string> {
  const res = await http('POST', '/v1/messages', { body: { to, text: 'listed' }, ...(key ? { key } : {}) });
  expect(res.status).toBe(202);
  return res.body.id;
}

describe('GET /v1/messages', () => {
  it('lists the tenant’s messages to a number newest first, page by page, and only its own', async () => {
    // Prepare: three of acme's messages to one number, a little apart, one of acme's elsewhere, one of globex's to the same number.
    const to = ukMobile();
    const sent: string[] = [];
    for (let i = 0; i < 3; i++) {
      sent.push(await sendTo(to));
      await new Promise((r) => setTimeout(r, 5));
    }
    await sendTo(ukMobile());
    const globex = await sendTo(to, GLOBEX_KEY);
    const query = `to=${encodeURIComponent(to)}`;
    await waitFor('all three listed', async () => ((await http('GET', `/v1/messages?${query}`)).body?.messages?.length === 3 ? true : undefined), 10_000);

    // Act
    const first = await http('GET', `/v1/messages?${query}&limit=2`);
    // The rest, page by page: a page may hold fewer than limit (even none) while a cursor says there may be more.
    const rest: string[] = [];
    for (let cursor = first.body.nextCursor, pages = 0; cursor !== undefined && pages < 50; pages++) {
      const page = await http('GET', `/v1/messages?${query}&limit=2&cursor=${encodeURIComponent(cursor)}`);
      expect(page.status).toBe(200);
      rest.push(...ids(page));
      cursor = page.body.nextCursor;
    }
    const ofGlobex = await http('GET', `/v1/messages?${query}`, { key: GLOBEX_KEY });

    // Assess
    expect(first.status).toBe(200);
    expect(ids(first)).toEqual([sent[2], sent[1]]);
    expect(rest).toEqual([sent[0]]);
    expect(ids(ofGlobex)).toEqual([globex]);
    expect(first.body.messages[0]).toMatchObject({ to, status: 'ROUTED' });
  });

  it('filters by status and by time', async () => {
    // Prepare
    const to = ukMobile();
    const before = await sendTo(to);
    await new Promise((r) => setTimeout(r, 20));
    const since = new Date().toISOString();
    const after = await sendTo(to);
    const query = `to=${encodeURIComponent(to)}`;
    await waitFor('both listed', async () => ((await http('GET', `/v1/messages?${query}`)).body?.messages?.length === 2 ? true : undefined), 10_000);
    // Act
    const recent = await http('GET', `/v1/messages?${query}&since=${encodeURIComponent(since)}`);
    const earlier = await http('GET', `/v1/messages?${query}&until=${encodeURIComponent(since)}`);
    const delivered = await http('GET', `/v1/messages?${query}&status=DELIVERED`);
    const routed = await http('GET', `/v1/messages?${query}&status=routed,delivered`);
    // Assess
    expect(ids(recent)).toEqual([after]);
    expect(ids(earlier)).toEqual([before]);
    expect(ids(delivered)).toEqual([]);
    expect(ids(routed)).toEqual([after, before]);
  });

  it('answers 400 naming the cursor that it did not give, and the filter it cannot read', async () => {
    const forged = await http('GET', `/v1/messages?cursor=${Buffer.from('["x",null,null,null]').toString('base64url')}`);
    const badTo = await http('GET', '/v1/messages?to=07700900123');
    expect(forged.status).toBe(400);
    expect(forged.body.errors).toEqual([expect.objectContaining({ field: 'cursor' })]);
    expect(badTo.status).toBe(400);
    expect(badTo.body.errors).toEqual([expect.objectContaining({ field: 'to' })]);
  });
});
