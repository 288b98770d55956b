/**
 * Inbound messages end to end, on the emulator with the SMSC simulators and the worker: an MO
 * to a number globex owns is recorded once, even when the SMSC sends its deliver_sm again (a
 * deliver_sm_resp it thinks lost, and later as after a rebind), reaches globex's inboundUrl
 * (config/local.yaml: port 4594 here) as exactly one signed message.inbound event through the
 * stream, the outbox, the status topic and the webhook queue, and is listed once by GET
 * /v1/inbound and read by GET /v1/inbound/{id}, for globex only. An MO to a number nobody owns
 * is recorded without a tenant and flagged. `smsgw tail` shows it as it arrives, `smsgw inbound`
 * lists it.
 */
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main';
import { InboundStore } from '../../core/aws/inbound-store';
import { verifyWebhook } from '../../core/domain/webhook';
import { startWebhookReceiver, webhookSecrets, type WebhookReceiver } from '../support/e2e-harness';
import { clients, http, outputs, useLocalAws, waitFor } from '../support/local';
import { smscAddress, startHarness, type Harness } from '../support/worker-harness';

const HANDSET = '+447700900123';
/** globex's long code in config/local.yaml, as an SMSC writes a destination: digits, TON 1. */
const GLOBEX_NUMBER = '447700900100';
const GLOBEX_KEY = 'dev-globex-key-0123456789';
const RECEIVER_PORT = 4594;

let h: Harness;
let receiver: WebhookReceiver;

beforeAll(async () => {
  useLocalAws();
  receiver = await startWebhookReceiver(undefined, RECEIVER_PORT);
  h = await startHarness(50);
}, 60_000);

afterAll(async () => {
  await h?.stop();
  await receiver?.close();
});

/** The POSTs of one inbound message's events, parsed. */
const eventsOf = (inboundId: string) =>
  receiver.requests.map((r) => ({ ...r, body: JSON.parse(r.rawBody) as Record<string, unknown> })).filter((r) => r.body.inboundId === inboundId);

/** The log lines of the worker since `before` with this event name. */
const logged = (before: number, event: string) => h.logs.slice(before).filter((l) => l.event === event);

describe('an inbound message to a tenant’s number', () => {
  it('reaches the tenant’s inboundUrl signed, exactly once, even when its deliver_sm is resent, and is listed once', async () => {
    // Prepare: a text of this run only, so earlier runs' messages do not count.
    const text = `Yes, see you at 10 (${randomUUID().slice(0, 8)})`;
    const before = h.logs.length;

    // Act: the deliver_sm twice (its first answer "lost"), then once more as after a rebind.
    expect(await h.simA.sendInbound({ from: smscAddress(HANDSET), to: GLOBEX_NUMBER, text, resend: true })).toEqual([0, 0]);
    expect(await h.simA.sendInbound({ from: smscAddress(HANDSET), to: GLOBEX_NUMBER, text })).toEqual([0]);

    // Assess: recorded once, the copies recognised.
    expect(logged(before, 'INBOUND_RECORDED')).toHaveLength(1);
    expect(logged(before, 'INBOUND_DUPLICATE')).toHaveLength(2);
    const id = String(logged(before, 'INBOUND_RECORDED')[0]!.data.inboundId);
    const event = await waitFor('the message.inbound event', async () => eventsOf(id)[0], 60_000, 500);
    expect(event.body).toEqual({
      version: 1,
      type: 'message.inbound',
      eventId: `inbound:${id}`,
      tenantId: 'globex',
      inboundId: id,
      carrierId: 'sim-a',
      from: HANDSET,
      to: `+${GLOBEX_NUMBER}`,
      text,
      parts: 1,
      receivedAt: expect.any(String),
      occurredAt: event.body.receivedAt,
    });
    const secret = (await webhookSecrets()).globex!;
    expect(event.path).toBe('/inbound');
    expect(verifyWebhook(secret, String(event.headers['webhook-signature']), event.rawBody, Math.floor(event.at / 1000))).toBe(true);

    // Listed once, newest first, filtered by sender and number; read by id; another tenant's view has none of it.
    const listed = await http('GET', `/v1/inbound?from=${encodeURIComponent(HANDSET)}&to=${encodeURIComponent(`+${GLOBEX_NUMBER}`)}&limit=100`, { key: GLOBEX_KEY });
    expect(listed.status).toBe(200);
    expect(listed.body.inbound.filter((m: { text: string }) => m.text === text)).toEqual([{ id, from: HANDSET, to: `+${GLOBEX_NUMBER}`, text, parts: 1, carrierId: 'sim-a', receivedAt: event.body.receivedAt, tenantId: 'globex' }]);
    const times = listed.body.inbound.map((m: { receivedAt: string }) => m.receivedAt);
    expect(times).toEqual([...times].sort().reverse());
    expect((await http('GET', `/v1/inbound/${id}`, { key: GLOBEX_KEY })).body).toMatchObject({ id, text, tenantId: 'globex' });
    expect((await http('GET', `/v1/inbound/${id}`)).status).toBe(404);

    // Exactly once: nothing more comes for it (the webhook path's retries are seconds apart locally).
    await new Promise((r) => setTimeout(r, 5_000));
    expect(eventsOf(id)).toHaveLength(1);
  }, 120_000);

  it('refuses a list filter that is not a number, naming the field', async () => {
    const res = await http('GET', '/v1/inbound?from=07700900123&since=yesterday', { key: GLOBEX_KEY });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['from', 'since']);
  });
});

/** A CLI run with its own output and Ctrl-C; `stop()` presses Ctrl-C and resolves with its exit code. */
function cli(argv: string[]): { out: () => string; err: () => string; stop: () => Promise<number>; done: Promise<number> } {
  let written = '';
  let said = '';
  const stdout = new Writable({ write: (chunk, _enc, next) => ((written += String(chunk)), next()) });
  const stderr = new Writable({ write: (chunk, _enc, next) => ((said += String(chunk)), next()) });
  let interrupt: () => void = () => undefined;
  const interrupted = new Promise<void>((r) => (interrupt = r));
  const done = main(['--api-key', GLOBEX_KEY, ...argv], { stdout, stderr, env: process.env, fetch, interrupted });
  return { out: () => written, err: () => said, stop: () => (interrupt(), done), done };
}

describe('the CLI', () => {
  it('smsgw tail shows an inbound message as it arrives, and smsgw inbound lists it', async () => {
    // Prepare: tail follows the status topic (local config: statusEvents.publish all).
    const text = `Tail me (${randomUUID().slice(0, 8)})`;
    const tail = cli(['tail']);
    await waitFor('tail subscribed', async () => (tail.err().includes('following status events') ? true : undefined));

    // Act
    expect(await h.simA.sendInbound({ from: smscAddress(HANDSET), to: GLOBEX_NUMBER, text })).toEqual([0]);

    // Assess
    const line = await waitFor('the tail line', async () => tail.out().split('\n').find((l) => l.includes(text)), 60_000, 500);
    expect(await tail.stop()).toBe(0);
    expect(line).toContain(`INBOUND     ${HANDSET} → +${GLOBEX_NUMBER}`);
    const listed = cli(['inbound', '--from', HANDSET, '--limit', '5', '--json']);
    expect(await listed.done).toBe(0);
    expect((JSON.parse(listed.out()) as { text: string }[]).filter((m) => m.text === text)).toHaveLength(1);
  }, 120_000);
});

describe('an inbound message to a number no tenant owns', () => {
  it('is recorded without a tenant and flagged, and no tenant sees it', async () => {
    const text = `Who is this? (${randomUUID().slice(0, 8)})`;
    const before = h.logs.length;
    expect(await h.simA.sendInbound({ from: smscAddress(HANDSET), to: '447700900999', text })).toEqual([0]);
    const flagged = logged(before, 'INBOUND_UNOWNED');
    expect(flagged).toHaveLength(1);
    const id = String(flagged[0]!.data.inboundId);
    const stored = await new InboundStore(outputs().tableName, clients().dynamo).get(id);
    expect(stored).toMatchObject({ id, text, to: '+447700900999' });
    expect(stored).not.toHaveProperty('tenantId');
    expect((await http('GET', `/v1/inbound/${id}`, { key: GLOBEX_KEY })).status).toBe(404);
  }, 30_000);
});
