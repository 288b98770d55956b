/**
 * A cancel that loses the race with submission, over real TCP against the SMSC
 * simulator with the state in the emulator: the worker has sent submit_sm, the
 * simulator holds its answer, and DELETE /v1/messages/{id} cancels the message
 * meanwhile. The SMSC accepted it, so it was sent: the record ends SUBMITTED over
 * the cancel (reason cancel_too_late), its receipt makes it DELIVERED, and the
 * client's webhook hears every step, the cancel included.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http, ukMobile, useLocalAws, waitFor } from '../support/local';
import { send, smscAddress, startHarness, untilStatus, type Harness } from '../support/worker-harness';

/** Long enough for the API's DELETE to land while the SMSC "thinks" (the emulator runs Lambdas one at a time), well within the worker's 15 s response timeout. */
const RESPONSE_DELAY_MS = 8_000;

let h: Harness;
let hooks: Server;
const events: { eventId: string; messageId: string; status: string }[] = [];

beforeAll(async () => {
  useLocalAws();
  h = await startHarness(50);
  hooks = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += String(d)));
    req.on('end', () => {
      events.push(JSON.parse(body));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => hooks.listen(0, '127.0.0.1', r));
}, 60_000);

afterAll(async () => {
  await h?.stop();
  hooks?.close();
});

describe('a cancel that comes while the SMSC is accepting the message', () => {
  it('ends SUBMITTED over the cancel, cancel_too_late, and then DELIVERED by its receipt, with every step told to the client', async () => {
    // Prepare: an SMSC that answers submit_sm only after a while.
    h.simA.behave({ responseDelayMs: RESPONSE_DELAY_MS });
    const to = ukMobile();
    const id = await send({ to, text: 'too late to take back', callbackUrl: `http://127.0.0.1:${(hooks.address() as AddressInfo).port}/hooks` });
    await waitFor('the submit_sm at the SMSC', async () => (h.simA.submits().some((s) => s.destination === smscAddress(to)) ? true : undefined), 60_000, 100);

    // Act: the client cancels while the SMSC's answer is on its way.
    const canceled = await http('DELETE', `/v1/messages/${id}`);
    h.simA.behave({ responseDelayMs: 0 });

    // Assess: the cancel was granted, then overtaken by the SMSC's acceptance.
    expect(canceled.status).toBe(200);
    expect(canceled.body.status).toBe('CANCELED');
    await waitFor('the worker to record the submission', async () => (h.logs.some((l) => l.event === 'MESSAGE_SUBMITTED' && l.data.messageId === id) ? true : undefined), 60_000, 100);
    expect(['SUBMITTED', 'DELIVERED']).toContain((await http('GET', `/v1/messages/${id}`)).body.status);
    const message = await untilStatus(id, ['DELIVERED', 'UNDELIVERED', 'UNKNOWN']);
    expect(message.status).toBe('DELIVERED');
    expect(message.history.map((c: { status: string }) => c.status)).toEqual(['ACCEPTED', 'ROUTED', 'CANCELED', 'SUBMITTED', 'DELIVERED']);
    expect(message.history[2]).toMatchObject({ reason: 'canceled_by_client' });
    expect(message.history[3]).toMatchObject({ reason: 'cancel_too_late', carrierId: 'sim-a' });
    expect(message.smscIds).toHaveLength(1);
    expect(h.logs.filter((l) => l.event === 'SUBMITTED_OVER_FINAL').map((l) => l.data)).toEqual([
      { messageId: id, attempt: 1, carrierId: 'sim-a', replaced: 'CANCELED', reason: 'cancel_too_late' },
    ]);
    const told = await waitFor('the webhook of every step', async () => {
      // Once per event: a delivery the receiver answered may still be retried.
      const mine = [...new Map(events.filter((e) => e.messageId === id).map((e) => [e.eventId, e.status])).values()];
      return mine.includes('DELIVERED') ? mine : undefined;
    }, 60_000, 500);
    expect(told).toEqual(['ACCEPTED', 'ROUTED', 'CANCELED', 'SUBMITTED', 'DELIVERED']);
    // A second cancel is refused: the message was submitted.
    expect((await http('DELETE', `/v1/messages/${id}`)).status).toBe(409);
  }, 180_000);
});
