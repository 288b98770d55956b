/**
 * Quotas and usage against the stack deployed on the emulator: tenant hooli may send 20
 * segments a UTC day (config/local.yaml). The usage items persist across runs on the same
 * day, so the test reads the day's usage first, sends until the cap, and compares.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clients, drain, http, outputs, ukMobile, useLocalAws, waitFor } from '../support/local';

const HOOLI_KEY = 'dev-hooli-key-0123456789';
const CAP = 20;
/** The UK price of a segment in config/local.yaml, in micros. */
const GB_RATE_MICROS = 40_000;

const micros = (amount: number) => Math.round(amount * 1e6);

beforeAll(() => {
  useLocalAws();
});

afterAll(async () => {
  // No SMPP worker runs in this suite: leave the carrier queues as empty as the next suite expects.
  const c = clients();
  for (const url of Object.values(outputs().carrierQueueUrls)) await drain(c.sqs, url);
});

describe('quotas and usage', () => {
  it('The quota gives 429, and /v1/usage equals what was sent', async () => {
    // Prepare: what hooli used today before this run
    const today = new Date().toISOString().slice(0, 10);
    const usage = () => http('GET', `/v1/usage?from=${today}&to=${today}`, { key: HOOLI_KEY });
    const before = await usage();
    expect(before.status).toBe(200);
    const room = CAP - before.body.total.segments;
    // Act: a batch of one-segment UK messages, two more than fit
    const batch = await http('POST', '/v1/messages/batch', { key: HOOLI_KEY, body: { messages: Array.from({ length: room + 2 }, () => ({ to: ukMobile(), text: 'usage test' })) } });
    const single = await http('POST', '/v1/messages', { key: HOOLI_KEY, body: { to: ukMobile(), text: 'over the cap' } });
    const after = await usage();
    const byCountry = await http('GET', `/v1/usage?from=${today}&to=${today}&groupBy=country`, { key: HOOLI_KEY });
    // Assess: the first `room` accepted, the rest refused by the cap, nothing stored for them
    const accepted = room > 0 ? batch.body.results.filter((r: { outcome: string }) => r.outcome === 'accepted') : [];
    if (room > 0) {
      expect(batch.status).toBe(202);
      expect(accepted).toHaveLength(room);
      expect(batch.body.results.slice(room).map((r: { errors: { problem: string }[] }) => r.errors[0]!.problem)).toEqual([expect.stringContaining('segmentsPerDay'), expect.stringContaining('segmentsPerDay')]);
    } else {
      expect(batch.status).toBe(429);
    }
    expect(single.status).toBe(429);
    expect(single.body).toMatchObject({ type: expect.stringMatching(/\/problems\/quota-exceeded$/), quota: 'segmentsPerDay', limit: CAP, used: CAP, resetsAt: expect.any(String) });
    const midnight = new Date(`${today}T00:00:00.000Z`).getTime() + 86_400_000;
    expect(single.body.resetsAt).toBe(new Date(midnight).toISOString());
    const retryAfter = Number(single.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(86_400);
    expect(after.body.total).toMatchObject({ messages: before.body.total.messages + room, segments: CAP });
    expect(micros(after.body.total.spend)).toBe(micros(before.body.total.spend) + room * GB_RATE_MICROS);
    expect(after.body.currency).toBe('EUR');
    expect(byCountry.body.rows.find((r: { country: string }) => r.country === 'GB')).toMatchObject({ segments: CAP });
    if (room > 0) {
      const message = await http('GET', `/v1/messages/${accepted[0].id}`, { key: HOOLI_KEY });
      expect(message.body).toMatchObject({ price: 0.04, currency: 'EUR' });
    }
  });

  it('counts a canceled message under CANCELED once the outbox has seen the change', async () => {
    // Prepare: acme's figures by status today (no worker runs: a message stays ROUTED until canceled)
    const today = new Date().toISOString().slice(0, 10);
    const byStatus = async () => (await http('GET', `/v1/usage?from=${today}&to=${today}&groupBy=status`)).body;
    const figure = (body: { rows: { status: string; messages: number }[] }, status: string) => body.rows.find((r) => r.status === status)?.messages ?? 0;
    const before = await byStatus();
    // Act
    const sent = await http('POST', '/v1/messages', { body: { to: ukMobile(), text: 'to cancel' } });
    expect(sent.status).toBe(202);
    expect((await http('DELETE', `/v1/messages/${sent.body.id}`)).status).toBe(200);
    // Assess: one more message in all, and it is under CANCELED, not PENDING
    const after = await waitFor('the CANCELED figure', async () => {
      const body = await byStatus();
      return figure(body, 'CANCELED') > figure(before, 'CANCELED') ? body : undefined;
    });
    expect(after.total.messages).toBe(before.total.messages + 1);
    expect(figure(after, 'CANCELED')).toBe(figure(before, 'CANCELED') + 1);
    expect(figure(after, 'PENDING')).toBe(figure(before, 'PENDING'));
  });
});
