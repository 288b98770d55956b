/**
 * Twilio-form status callbacks end to end in memory: the status event the outbox makes of a
 * message sent through the Twilio-compatible API, its one delivery attempt (the auth token, the
 * unchanged Twilio statuses not posted) and the POST itself, whose signature the SDK accepts.
 */
import twilio from 'twilio';
import { describe, expect, it, vi } from 'vitest';
import { statusEventsFromChange } from '../../core/domain/status-event';
import { deliverTwilioCallback } from '../../core/twilio/callback';
import { messageSid } from '../../core/twilio/sid';
import { deliverStatusEvent } from '../../core/webhook/deliver-status-event';
import type { Transport } from '../../core/webhook/dispatcher';
import { GroupBackoff } from '../../core/webhook/group-backoff';
import { parseStatusEventBody } from '../../core/webhook/status-event-body';
import { InMemoryWebhookPorts, messageRecord, sqsRecord, statusEvent, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN } from '../support/factories';

const URL_ = 'https://hooks.acme.example/twilio-status?app=orders';

describe('the status events of a Twilio-form message', () => {
  it('carry the form, To and From, which a JSON-form message’s events do not', () => {
    const record = { kind: 'message', ...messageRecord({ from: '+447700900000', callbackUrl: URL_, callbackFormat: 'twilio' }) };
    const [event] = statusEventsFromChange(undefined, record);
    expect(event).toMatchObject({ callbackFormat: 'twilio', to: record.to, from: '+447700900000', callbackUrl: URL_ });
    expect(parseStatusEventBody(JSON.stringify(event))).toEqual(event);
    const [plain] = statusEventsFromChange(undefined, { kind: 'message', ...messageRecord({ from: 'ACME', callbackUrl: URL_ }) });
    expect(plain).not.toHaveProperty('to');
    expect(plain).not.toHaveProperty('callbackFormat');
  });
});

describe('deliverStatusEvent of a Twilio-form event', () => {
  const twilioEvent = (overrides = {}) => statusEvent({ callbackUrl: URL_, callbackFormat: 'twilio', to: '+447400123456', from: '+447700900000', ...overrides });

  it('signs with the tenant’s Twilio auth token, not its webhook secret', async () => {
    const ports = new InMemoryWebhookPorts();
    const event = twilioEvent();
    const result = await deliverStatusEvent(event, sqsRecord(JSON.stringify(event), 1), new GroupBackoff(), ports);
    expect(result).toMatchObject({ outcome: 'delivered' });
    expect(ports.posted).toEqual([{ eventId: event.eventId, url: URL_, secret: TWILIO_AUTH_TOKEN }]);
  });

  it('posts nothing for a change that keeps the Twilio status (ACCEPTED → ROUTED: queued)', async () => {
    const ports = new InMemoryWebhookPorts();
    const event = twilioEvent({ status: 'ROUTED', previousStatus: 'ACCEPTED' });
    expect(await deliverStatusEvent(event, sqsRecord(JSON.stringify(event), 1), new GroupBackoff(), ports)).toEqual({ outcome: 'unchanged' });
    expect(ports.posted).toEqual([]);
  });

  it('retries while the tenant has no auth token to sign with', async () => {
    const ports = new InMemoryWebhookPorts();
    ports.twilioTokens.clear();
    const event = twilioEvent();
    expect(await deliverStatusEvent(event, sqsRecord(JSON.stringify(event), 1), new GroupBackoff(), ports)).toMatchObject({ outcome: 'retry', reason: 'no Twilio auth token for tenant acme' });
  });
});

describe('deliverTwilioCallback', () => {
  it('posts Twilio’s form, signed so that twilio.validateRequest accepts it', async () => {
    const transport = vi.fn<Transport>().mockResolvedValue(204);
    const event = statusEvent({ messageId: '0b6f2f38-6d0e-8c8b-9a1e-3f1c2d4e5f60', callbackUrl: URL_, callbackFormat: 'twilio', to: '+447400123456', from: '+447700900000' });
    const result = await deliverTwilioCallback(event, { url: URL_, authToken: TWILIO_AUTH_TOKEN, accountSid: TWILIO_ACCOUNT_SID }, { allowHttp: false, allowPrivate: true, transport });
    expect(result).toEqual({ ok: true, status: 204 });
    const sent = transport.mock.calls[0]![0];
    expect(sent.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(sent.headers['i-twilio-idempotency-token']).toBe(event.eventId);
    const params = Object.fromEntries(new URLSearchParams(sent.body));
    expect(params).toMatchObject({ MessageSid: messageSid(event.messageId), MessageStatus: 'delivered', AccountSid: TWILIO_ACCOUNT_SID, To: '+447400123456', From: '+447700900000' });
    expect(twilio.validateRequest(TWILIO_AUTH_TOKEN, sent.headers['X-Twilio-Signature']!, URL_, params)).toBe(true);
  });

  it('follows the URL rules of every callback: no http in AWS, nothing sent', async () => {
    const transport = vi.fn<Transport>();
    const result = await deliverTwilioCallback(statusEvent(), { url: 'http://hooks.acme.example/', authToken: TWILIO_AUTH_TOKEN, accountSid: TWILIO_ACCOUNT_SID }, { allowHttp: false, allowPrivate: false, transport });
    expect(result).toMatchObject({ ok: false, retryable: false });
    expect(transport).not.toHaveBeenCalled();
  });
});
