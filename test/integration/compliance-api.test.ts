/**
 * The tenant rules of the API against the stack deployed on the emulator: tenant umbrella of
 * config/local.yaml (senders UMBRELLA and +447700900200, Germany blocked, 3 messages per number
 * range an hour). Pumping windows outlive a run within the hour: each run sends to a number range
 * of its own.
 */
import { randomInt } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { clients, http, outputs, useLocalAws } from '../support/local';

const UMBRELLA_KEY = 'dev-umbrella-key-0123456789';

let c: ReturnType<typeof clients>;

beforeAll(() => {
  useLocalAws();
  c = clients();
});

/** A number range of this run's: UK mobiles +44772 and 4 random digits, to which `n` gives the last 3. */
const range = `+44772${String(randomInt(10_000)).padStart(4, '0')}`;
const inRange = (n: number) => `${range}${String(n).padStart(3, '0')}`;

async function send(body: Record<string, unknown>) {
  return http('POST', '/v1/messages', { key: UMBRELLA_KEY, body: { text: 'Your code is 123456', ...body } });
}

describe('sender ids and destinations', () => {
  it('A sender that is not allowed gets 422, and a blocked country gets 422', async () => {
    const sender = await send({ to: inRange(900), from: 'ACME' });
    expect(sender.status).toBe(422);
    expect(sender.body).toMatchObject({ type: expect.stringMatching(/\/problems\/sender-not-allowed$/), errors: [{ field: 'from' }] });

    const country = await send({ to: '+4915112345678' });
    expect(country.status).toBe(422);
    expect(country.body).toMatchObject({ type: expect.stringMatching(/\/problems\/destination-not-allowed$/), errors: [{ field: 'to' }] });

    const tollFree = await send({ to: '+448001234567' });
    expect(tollFree.status).toBe(422);
    expect(tollFree.body).toMatchObject({ type: expect.stringMatching(/\/problems\/destination-not-allowed$/), errors: [{ field: 'to' }] });
  });

  it('stores a message without from with the tenant’s default sender, and takes one of its numbers written without "+"', async () => {
    const byDefault = await send({ to: inRange(901) });
    const byNumber = await send({ to: inRange(902), from: '447700900200' });
    expect([byDefault.status, byNumber.status]).toEqual([202, 202]);
    const stored = async (id: string) => (await c.dynamo.send(new GetCommand({ TableName: outputs().tableName, Key: { pk: `MSG#${id}`, sk: 'MSG' }, ConsistentRead: true }))).Item;
    expect((await stored(byDefault.body.id))?.from).toBe('UMBRELLA');
    expect((await stored(byNumber.body.id))?.from).toBe('447700900200');
  });

  it('reports a refused message of a batch in its result and accepts the others', async () => {
    const res = await http('POST', '/v1/messages/batch', { key: UMBRELLA_KEY, body: { messages: [{ to: inRange(903), text: 'a' }, { to: '+4915112345678', text: 'b' }] } });
    expect(res.status).toBe(202);
    expect(res.body.results[1]).toMatchObject({ outcome: 'rejected', type: 'destination-not-allowed', errors: [{ field: 'messages[1].to' }] });
  });
});

describe('SMS-pumping limits', () => {
  it('The pumping limit gives 429 after N', async () => {
    // A range of its own: the tests above sent to this run's other range.
    const own = `+44773${String(randomInt(10_000)).padStart(4, '0')}`;
    const statuses: number[] = [];
    for (let n = 0; n < 3; n++) statuses.push((await send({ to: `${own}${n}00` })).status);
    const over = await send({ to: `${own}999` });
    expect(statuses).toEqual([202, 202, 202]);
    expect(over.status).toBe(429);
    expect(over.body).toMatchObject({ type: expect.stringMatching(/\/problems\/suspected-pumping$/), errors: [{ field: 'to' }], limit: 3 });
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(over.headers.get('retry-after'))).toBeLessThanOrEqual(3600);
  });

  it('gives a batch over the limit the room left for its first messages, and refuses the rest in their results', async () => {
    const own = `+44774${String(randomInt(10_000)).padStart(4, '0')}`;
    const first = await send({ to: `${own}000` });
    const res = await http('POST', '/v1/messages/batch', { key: UMBRELLA_KEY, body: { messages: [1, 2, 3, 4].map((n) => ({ to: `${own}00${n}`, text: 'Your code is 123456' })) } });
    expect(first.status).toBe(202);
    expect(res.status).toBe(202);
    expect(res.body.results.map((r: { outcome: string; type?: string }) => r.type ?? r.outcome)).toEqual(['accepted', 'accepted', 'suspected-pumping', 'suspected-pumping']);
    expect(res.body.results[2]).toMatchObject({ errors: [{ field: 'messages[2].to' }], retryAfter: expect.any(Number) });
  });
});
