/**
 * Opt-outs against the stack on the emulator: the /v1/opt-outs API through API Gateway, the
 * check at acceptance, and the opt_out events through the stream, the outbox, the status topic
 * and the webhook queue to tenant stark's callbackUrl (config/local.yaml: port 4593 here).
 * No SMPP worker runs: another tenant's message to the same number is shown routed to its
 * carrier's queue, which is as far as the API and the outbox take it.
 */
import { createServer, type Server } from 'node:http';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhook } from '../../core/domain/webhook';
import { clients, http, onCarrierQueue, outputs, ukMobile, useLocalAws, waitFor } from '../support/local';

const GLOBEX_KEY = 'dev-globex-key-0123456789';
const STARK_KEY = 'dev-stark-key-0123456789';
const RECEIVER_PORT = 4593;

let c: ReturnType<typeof clients>;
let server: Server;
const received: { raw: string; body: any; signature: string; at: number }[] = [];

beforeAll(async () => {
  useLocalAws();
  c = clients();
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += String(d)));
    req.on('end', () => {
      received.push({ raw: body, body: JSON.parse(body), signature: String(req.headers['webhook-signature'] ?? ''), at: Date.now() });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(RECEIVER_PORT, '127.0.0.1', r));
});

afterAll(() => server.close());

const path = (number: string) => `/v1/opt-outs/${encodeURIComponent(number)}`;

describe('the opt-out API', () => {
  it('adds an opt-out without a body, reads it, lists it, removes it and then answers 404', async () => {
    const number = ukMobile();
    const created = await http('PUT', path(number));
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ number, optedOutAt: expect.any(String), source: 'api' });
    expect((await http('PUT', path(number), { body: {} })).status).toBe(200);
    expect((await http('GET', path(number))).body).toEqual(created.body);

    let listed: any[] = [];
    let cursor: string | undefined;
    do {
      const page = await http('GET', `/v1/opt-outs?limit=100${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      listed.push(...page.body.optOuts);
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(listed).toContainEqual(created.body);

    expect((await http('DELETE', path(number))).status).toBe(204);
    expect((await http('GET', path(number))).status).toBe(404);
    expect((await http('DELETE', path(number))).status).toBe(404);
    listed = (await http('GET', '/v1/opt-outs?limit=100')).body.optOuts;
    expect(listed.map((o) => o.number)).not.toContain(number);
  }, 30_000);

  it('refuses a number that is not E.164, naming the field', async () => {
    const res = await http('GET', '/v1/opt-outs/07700900123');
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ field: 'number', problem: expect.any(String) }]);
  });
});

describe('enforcement', () => {
  it("acme's next message to that number ends REJECTED opted_out, while globex's is accepted and routed", async () => {
    const number = ukMobile();
    expect((await http('PUT', path(number))).status).toBe(201);

    const acme = await http('POST', '/v1/messages', { body: { to: number, text: 'Sale!' } });
    expect(acme.status).toBe(202);
    expect(acme.body).toMatchObject({ status: 'REJECTED', reason: 'opted_out' });
    const stored = await http('GET', `/v1/messages/${acme.body.id}`);
    expect(stored.body).toMatchObject({ status: 'REJECTED', reason: 'opted_out' });
    expect(stored.body.history.map((h: { status: string }) => h.status)).toEqual(['ACCEPTED', 'REJECTED']);

    const globex = await http('POST', '/v1/messages', { key: GLOBEX_KEY, body: { to: number, text: 'Your code is 123456' } });
    expect(globex.status).toBe(202);
    expect(globex.body.status).toBe('ACCEPTED');
    const routed = await http('GET', `/v1/messages/${globex.body.id}`, { key: GLOBEX_KEY });
    expect(routed.body.status).toBe('ROUTED');
    expect((await onCarrierQueue(c.sqs, routed.body.carrierId, globex.body.id)).messageId).toBe(globex.body.id);

    const batch = await http('POST', '/v1/messages/batch', { body: { messages: [{ to: number, text: 'Sale!' }, { to: ukMobile(), text: 'Sale!' }] } });
    expect(batch.status).toBe(202);
    expect(batch.body.results.map((r: { status: string; reason?: string }) => [r.status, r.reason])).toEqual([['REJECTED', 'opted_out'], ['ACCEPTED', undefined]]);

    const dry = await http('POST', '/v1/messages?dryRun=true', { body: { to: number, text: 'Sale!' } });
    expect(dry.body.optOut).toMatchObject({ number, source: 'api' });
    await http('DELETE', path(number));
  }, 60_000);
});

describe('opt-out events', () => {
  it('posts opt_out.created and opt_out.deleted to the tenant’s callback URL, signed, in order', async () => {
    const number = ukMobile();
    expect((await http('PUT', path(number), { key: STARK_KEY })).status).toBe(201);
    expect((await http('DELETE', path(number), { key: STARK_KEY })).status).toBe(204);
    const events = await waitFor('both events of the opt-out', async () => {
      const mine = received.filter((r) => r.body.number === number);
      return mine.length >= 2 ? mine : undefined;
    }, 60_000, 500);
    expect(events.map((e) => e.body.type)).toEqual(['opt_out.created', 'opt_out.deleted']);
    expect(events[0]!.body).toMatchObject({ version: 1, tenantId: 'stark', number, source: 'api', eventId: expect.stringMatching(/^opt-out:/) });
    expect(events[1]!.body).toMatchObject({ removedAt: expect.any(String), occurredAt: events[1]!.body.removedAt });

    const arns = JSON.parse(outputs().raw.WebhookSecretArns!) as Record<string, string>;
    const secret = (await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: arns.stark! }))).SecretString!;
    for (const e of events) expect(verifyWebhook(secret, e.signature, e.raw, Math.floor(e.at / 1000))).toBe(true);
  }, 90_000);
});
