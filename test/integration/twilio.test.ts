/**
 * The Twilio-compatible API through the unmodified official `twilio` SDK, pointed at the stack on
 * the emulator by its base URL alone, with the worker and the SMSC simulators delivering: a message
 * sent, fetched and delivered, its status callbacks signed so that twilio.validateRequest accepts
 * them, errors read back as the SDK's RestException, and a scheduled message canceled.
 */
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messageIdOf } from '../../core/twilio/sid';
import { startWebhookReceiver, type WebhookReceiver } from '../support/e2e-harness';
import { http, outputs, ukMobile, useLocalAws, waitFor } from '../support/local';
import { startHarness, untilStatus, type Harness } from '../support/worker-harness';

type Client = ReturnType<typeof twilio>;

let h: Harness;
let receiver: WebhookReceiver;
let client: Client;
let account: { accountSid: string; authToken: string };

/** The SDK as an application would use it: only its base URL changed. */
function sdk(accountSid: string, authToken: string): Client {
  const c = twilio(accountSid, authToken);
  c.api.baseUrl = outputs().apiUrl;
  return c;
}

/** The error a rejected SDK call raised. */
async function rejection(call: Promise<unknown>): Promise<InstanceType<typeof twilio.RestException>> {
  try {
    await call;
  } catch (err) {
    return err as InstanceType<typeof twilio.RestException>;
  }
  throw new Error('expected the call to be refused');
}

beforeAll(async () => {
  const out = useLocalAws();
  if (!out.twilio) throw new Error('.local/outputs.json has no Twilio account: config/local.yaml gives acme one');
  account = out.twilio;
  client = sdk(account.accountSid, account.authToken);
  receiver = await startWebhookReceiver();
  h = await startHarness(50);
}, 60_000);

afterAll(async () => {
  await h?.stop();
  await receiver?.close();
});

describe('the official twilio SDK against the gateway', () => {
  it('sends a message with messages.create, fetches it, and hears its callbacks, each signed as validateRequest expects', async () => {
    const to = ukMobile();
    const statusCallback = `${receiver.url}/twilio/status`;
    const created = await client.messages.create({ to, from: '+447700900000', body: 'Hello from the Twilio SDK', statusCallback });
    expect(created.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(created).toMatchObject({ accountSid: account.accountSid, to, from: '+447700900000', body: 'Hello from the Twilio SDK', status: 'queued', numSegments: '1', direction: 'outbound-api', apiVersion: '2010-04-01' });
    expect(created.dateCreated).toBeInstanceOf(Date);

    const id = messageIdOf(created.sid)!;
    await untilStatus(id, ['DELIVERED'], { timeoutMs: 60_000 });
    const fetched = await client.messages(created.sid).fetch();
    expect(fetched).toMatchObject({ sid: created.sid, status: 'delivered', errorCode: null });
    expect(fetched.dateSent).toBeInstanceOf(Date);

    const callbacks = await waitFor(
      'the delivered callback',
      async () => {
        const mine = receiver.requests.filter((r) => new URLSearchParams(r.rawBody).get('MessageSid') === created.sid);
        return mine.some((r) => new URLSearchParams(r.rawBody).get('MessageStatus') === 'delivered') ? mine : undefined;
      },
      60_000,
      500,
    );
    for (const r of callbacks) {
      const params = Object.fromEntries(new URLSearchParams(r.rawBody));
      expect(r.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(twilio.validateRequest(account.authToken, String(r.headers['x-twilio-signature']), statusCallback, params), r.rawBody).toBe(true);
      expect(params).toMatchObject({ AccountSid: account.accountSid, To: to, From: '+447700900000', SmsSid: created.sid, ApiVersion: '2010-04-01' });
    }
    // Once per status change a Twilio client can see (a retried delivery carries the same token): ROUTED is queued too, and is not posted.
    const once = [...new Map(callbacks.map((r) => [String(r.headers['i-twilio-idempotency-token']), new URLSearchParams(r.rawBody).get('MessageStatus')])).values()];
    expect(once).toEqual(['queued', 'sent', 'delivered']);
  }, 180_000);

  it('reads a refusal as the SDK’s RestException, with Twilio’s code and status', async () => {
    const invalidTo = await rejection(client.messages.create({ to: '+4412', from: '+447700900000', body: 'x' }));
    expect(invalidTo).toBeInstanceOf(twilio.RestException);
    expect(invalidTo).toMatchObject({ status: 400, code: 21211, moreInfo: 'https://www.twilio.com/docs/errors/21211' });

    const media = await rejection(client.messages.create({ to: ukMobile(), from: '+447700900000', body: 'x', mediaUrl: ['https://example.com/cat.png'] }));
    expect(media).toMatchObject({ status: 400, code: 21620 });

    const wrongToken = await rejection(sdk(account.accountSid, 'not-the-auth-token-0123456789ab').messages.create({ to: ukMobile(), from: '+447700900000', body: 'x' }));
    expect(wrongToken).toMatchObject({ status: 401, code: 20003 });

    const optedOut = ukMobile();
    expect((await http('PUT', `/v1/opt-outs/${encodeURIComponent(optedOut)}`)).status).toBeLessThan(300);
    const unsubscribed = await rejection(client.messages.create({ to: optedOut, from: '+447700900000', body: 'x' }));
    expect(unsubscribed).toMatchObject({ status: 400, code: 21610, message: 'Attempt to send to unsubscribed recipient' });

    const missing = await rejection(client.messages('SM00000000000080008000000000000000').fetch());
    expect(missing).toMatchObject({ status: 404, code: 20404 });
  }, 60_000);

  it('refuses to cancel a message that was sent, with 30409', async () => {
    const created = await client.messages.create({ to: ukMobile(), from: '+447700900000', body: 'too late to cancel' });
    await untilStatus(messageIdOf(created.sid)!, ['DELIVERED'], { timeoutMs: 60_000 });
    const refused = await rejection(client.messages(created.sid).update({ status: 'canceled' }));
    expect(refused).toMatchObject({ status: 400, code: 30409 });
  }, 120_000);

  // Scheduled send (sendAt on POST /v1/messages) is another part of issue 17: until the API takes
  // sendAt, SendAt is refused and this test skips itself; after the merge it must pass.
  it('schedules a message with SendAt and ScheduleType=fixed, and cancels it with update({ status: "canceled" })', async (ctx) => {
    const sendAt = new Date(Date.now() + 5 * 60_000);
    const probe = await http('POST', '/v1/messages?dryRun=true', { body: { to: ukMobile(), text: 'probe', sendAt: sendAt.toISOString() } });
    if (probe.status !== 200) return ctx.skip();

    const to = ukMobile();
    const scheduled = await client.messages.create({ to, from: '+447700900000', body: 'see you at 10', sendAt, scheduleType: 'fixed' });
    expect(scheduled.status).toBe('scheduled');
    const canceled = await client.messages(scheduled.sid).update({ status: 'canceled' });
    expect(canceled.status).toBe('canceled');
    expect((await client.messages(scheduled.sid).fetch()).status).toBe('canceled');
    expect((await http('GET', `/v1/messages/${messageIdOf(scheduled.sid)}`)).body.status).toBe('CANCELED');
  }, 60_000);

  it('lists the account’s messages with messages.list, newest first, following next_page_uri, filtered by to and dateSent', async () => {
    const to = ukMobile();
    const startedAt = new Date(Date.now() - 60_000);
    const sids: string[] = [];
    for (const n of [1, 2, 3]) sids.push((await client.messages.create({ to, from: '+447700900000', body: `list ${n}` })).sid);
    // Pages of 2: the SDK follows next_page_uri for the third.
    const listed = await waitFor('the three messages in the list', async () => {
      const page = await client.messages.list({ to, pageSize: 2 });
      return page.length === 3 ? page : undefined;
    });
    expect(listed.map((m) => m.sid)).toEqual([...sids].reverse());
    expect(listed.every((m) => m.to === to)).toBe(true);
    expect(await client.messages.list({ to, dateSentBefore: startedAt })).toEqual([]);
    expect((await client.messages.list({ to, dateSentAfter: startedAt })).map((m) => m.sid)).toEqual([...sids].reverse());
  }, 120_000);
});
