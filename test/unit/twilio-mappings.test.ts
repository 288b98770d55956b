/**
 * The pure parts of the Twilio-compatible API: form parsing, Basic credentials, SIDs, the status,
 * error and resource mappings, and the X-Twilio-Signature of our callbacks, checked against the
 * official SDK's own validator.
 */
import twilio from 'twilio';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../core/config/runtime';
import { parseBasicAuth, TwilioAccounts } from '../../core/twilio/basic-auth';
import { callbackParams, changesTwilioStatus } from '../../core/twilio/callback';
import { IGNORED_PARAMETERS, submissionFromTwilio } from '../../core/twilio/create-params';
import { fromProblem, moreInfo } from '../../core/twilio/errors';
import { isFormContentType, parseForm } from '../../core/twilio/form';
import { rfc2822, twilioPrice, twilioResource } from '../../core/twilio/resource';
import { messageIdOf, messageSid } from '../../core/twilio/sid';
import { twilioSignature } from '../../core/twilio/signature';
import { twilioErrorCode, twilioStatus } from '../../core/twilio/status';
import { problemResponder } from '../../core/http/problem';
import { STATUSES } from '../../core/domain/message';
import { completeMessageRecord, messageRecord, statusEvent, TEST_API_URL, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN } from '../support/factories';

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const form = (entries: [string, string][]) => new Map(entries.map(([k, v]) => [k, [v]]));

describe('parseForm', () => {
  it('decodes + as a space and %-escapes as UTF-8', () => {
    expect(parseForm('Body=Hello+world%21+%C3%A9%F0%9F%98%80&To=%2B447400123456').get('Body')).toEqual(['Hello world! é😀']);
    expect(parseForm('To=%2B447400123456').get('To')).toEqual(['+447400123456']);
  });

  it('keeps every value of a repeated key, in order', () => {
    expect(parseForm('MediaUrl=a&MediaUrl=b&To=x').get('MediaUrl')).toEqual(['a', 'b']);
  });

  it('reads malformed escapes, bytes that are not UTF-8, empty and missing bodies without throwing', () => {
    expect(parseForm('Body=100%&x=%zz').get('Body')).toEqual(['100%']);
    expect(parseForm('Body=%FF').get('Body')).toEqual(['\uFFFD']);
    expect(parseForm('=&&Body=').get('Body')).toEqual(['']);
    expect(parseForm(null).size).toBe(0);
  });

  it('takes the form media type in any case and with a charset, and nothing else', () => {
    expect(isFormContentType('application/x-www-form-urlencoded')).toBe(true);
    expect(isFormContentType('Application/X-WWW-Form-URLEncoded; charset=utf-8')).toBe(true);
    expect(isFormContentType('application/json')).toBe(false);
    expect(isFormContentType(undefined)).toBe(false);
  });
});

describe('Basic credentials', () => {
  const accounts = new TwilioAccounts([
    { id: 'acme', twilio: { accountSid: TWILIO_ACCOUNT_SID, authTokenSha256: [sha256Hex(TWILIO_AUTH_TOKEN)] } },
    { id: 'globex' },
  ]);

  it('splits user and password at the first colon, so a token may hold colons', () => {
    expect(parseBasicAuth(basic('AC1', 'a:b'))).toEqual({ user: 'AC1', password: 'a:b' });
  });

  it.each([
    ['no header', undefined],
    ['another scheme', `Bearer ${Buffer.from('AC1:t').toString('base64')}`],
    ['bad base64', 'Basic !!!notbase64'],
    ['base64 of the wrong length', 'Basic QUMxOnQ'],
    ['no colon', `Basic ${Buffer.from('AC1token').toString('base64')}`],
  ])('refuses %s', (_what, header) => {
    expect(parseBasicAuth(header)).toBeUndefined();
  });

  it('authenticates the account whose token digest matches, and no other', () => {
    expect(accounts.authenticate(basic(TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN))).toEqual({ tenantId: 'acme', accountSid: TWILIO_ACCOUNT_SID });
    expect(accounts.authenticate(basic(TWILIO_ACCOUNT_SID, `${TWILIO_AUTH_TOKEN}x`))).toBeUndefined();
    expect(accounts.authenticate(basic('AC00000000000000000000000000000000', TWILIO_AUTH_TOKEN))).toBeUndefined();
    expect(accounts.accountOf('acme')).toBe(TWILIO_ACCOUNT_SID);
    expect(accounts.accountOf('globex')).toBeUndefined();
  });
});

describe('message SIDs', () => {
  it('are SM and the id without dashes, and map back to the id', () => {
    const id = '0b6f2f38-6d0e-8c8b-9a1e-3f1c2d4e5f60';
    expect(messageSid(id)).toBe('SM0b6f2f386d0e8c8b9a1e3f1c2d4e5f60');
    expect(messageIdOf(messageSid(id))).toBe(id);
  });

  it.each(['SM0b6f2f38', 'MM0b6f2f386d0e8c8b9a1e3f1c2d4e5f60', 'SM0B6F2F386D0E8C8B9A1E3F1C2D4E5F60', 'SM0b6f2f386d0e8c8b9a1e3f1c2d4e5f6g', ''])('are not read from %j', (sid) => {
    expect(messageIdOf(sid)).toBeUndefined();
  });
});

describe('twilioStatus', () => {
  it.each([
    ['ACCEPTED', false, 'queued'],
    ['ROUTED', false, 'queued'],
    ['RETRYING', false, 'queued'],
    ['SCHEDULED', false, 'scheduled'],
    ['SUBMITTED', true, 'sent'],
    ['DELIVERED', true, 'delivered'],
    ['UNDELIVERED', true, 'undelivered'],
    ['EXPIRED', false, 'failed'],
    ['EXPIRED', true, 'undelivered'],
    ['REJECTED', false, 'failed'],
    ['REJECTED', true, 'undelivered'],
    ['FAILED', true, 'failed'],
    ['UNKNOWN', true, 'sent'],
    ['CANCELED', false, 'canceled'],
  ] as const)('reads %s (submitted: %s) as %s', (status, submitted, expected) => {
    expect(twilioStatus(status, submitted)).toBe(expected);
  });

  it('maps every status of the model to one of Twilio’s', () => {
    const twilioStatuses = ['queued', 'scheduled', 'sending', 'sent', 'delivered', 'undelivered', 'failed', 'canceled'];
    for (const s of STATUSES) for (const submitted of [false, true]) expect(twilioStatuses).toContain(twilioStatus(s, submitted));
  });

  it('gives Twilio’s error code of each way a message ends undelivered, and none otherwise', () => {
    expect(twilioErrorCode('REJECTED', 'opted_out')).toBe(21610);
    expect(twilioErrorCode('REJECTED', 'no_route')).toBe(21612);
    expect(twilioErrorCode('EXPIRED', 'validity_elapsed')).toBe(30036);
    expect(twilioErrorCode('REJECTED', 'receipt_rejectd')).toBe(30007);
    expect(twilioErrorCode('UNDELIVERED', 'receipt_undeliv')).toBe(30003);
    expect(twilioErrorCode('FAILED', 'ESME_RINVDSTADR')).toBe(30008);
    expect(twilioErrorCode('DELIVERED', undefined)).toBeNull();
    expect(twilioErrorCode('UNKNOWN', 'receipt_timeout')).toBeNull();
  });
});

describe('fromProblem', () => {
  const problem = problemResponder(TEST_API_URL);
  const invalid = (field: string, text: string) => fromProblem(problem(422, 'validation-failed', `${field}: ${text}`, { errors: [{ field, problem: text }] }));
  const bodyOf = (r: { body: string }) => JSON.parse(r.body);

  it.each([
    ['to', 'destination is not a phone number', 21211],
    ['to', 'is required', 21604],
    ['from', 'sender id must be alphanumeric', 21212],
    ['text', 'text needs 12 segments in GSM7; the limit is 10', 21617],
    ['text', 'text must not be empty', 21602],
    ['callbackUrl', 'callbackUrl must be an http(s) URL', 21609],
    ['validitySeconds', 'validitySeconds is at least 60', 90007],
    ['sendAt', 'unknown field', 20422],
  ])('answers a refused %s (%s) with 400 and code %i, naming the Twilio parameter', (field, text, code) => {
    const res = invalid(field, text);
    expect(res.statusCode).toBe(400);
    expect(bodyOf(res)).toEqual({ code, message: expect.stringMatching(/^(To|From|Body|StatusCallback|ValidityPeriod|SendAt): /), more_info: moreInfo(code), status: 400 });
  });

  it.each([
    ['sender-not-allowed', 422, 400, 21606],
    ['destination-not-allowed', 422, 400, 21408],
    ['rate-limited', 429, 429, 20429],
    ['suspected-pumping', 429, 429, 20429],
    ['quota-exceeded', 429, 429, 20429],
    ['not-found', 404, 404, 20404],
    ['service-unavailable', 503, 503, 20503],
  ] as const)('answers %s with HTTP %i → %i and code %i', (type, status, twilioStatusCode, code) => {
    const res = fromProblem(problem(status, type, 'detail', { errors: [{ field: 'to', problem: 'detail' }] }, status === 429 ? { 'retry-after': '7' } : {}));
    expect(res.statusCode).toBe(twilioStatusCode);
    expect(bodyOf(res)).toMatchObject({ code, status: twilioStatusCode, more_info: `https://www.twilio.com/docs/errors/${code}` });
    if (status === 429) expect(res.headers?.['retry-after']).toBe('7');
  });

  it('answers an unauthorized request with 20003 and the Basic challenge', () => {
    const res = fromProblem(problem(401, 'unauthorized', 'no key'));
    expect(res.statusCode).toBe(401);
    expect(res.headers?.['www-authenticate']).toMatch(/^Basic /);
    expect(bodyOf(res).code).toBe(20003);
  });
});

describe('submissionFromTwilio', () => {
  const base: [string, string][] = [['To', '+447400123456'], ['From', '+447700900000'], ['Body', 'Hello']];
  const refusal = (entries: [string, string][]) => {
    const t = submissionFromTwilio(form(entries));
    return t.ok ? undefined : JSON.parse(t.response.body);
  };

  it('translates To, From, Body, StatusCallback and ValidityPeriod into the /v1 submission', () => {
    expect(submissionFromTwilio(form([...base, ['StatusCallback', 'https://example.com/s'], ['ValidityPeriod', '600']]))).toEqual({
      ok: true,
      value: { to: '+447400123456', from: '+447700900000', text: 'Hello', callbackUrl: 'https://example.com/s', validitySeconds: 600 },
    });
  });

  it('raises a ValidityPeriod under a minute to 60 seconds, the sweeper’s precision', () => {
    expect(submissionFromTwilio(form([...base, ['ValidityPeriod', '1']]))).toMatchObject({ ok: true, value: { validitySeconds: 60 } });
  });

  it('maps SendAt with ScheduleType=fixed to sendAt, in UTC', () => {
    expect(submissionFromTwilio(form([...base, ['SendAt', '2026-12-01T22:00:00+01:00'], ['ScheduleType', 'fixed']]))).toMatchObject({ ok: true, value: { sendAt: '2026-12-01T21:00:00.000Z' } });
  });

  it('takes a MessagingServiceSid for the tenant’s default sender: the submission has no from', () => {
    const t = submissionFromTwilio(form([['To', '+447400123456'], ['Body', 'Hi'], ['MessagingServiceSid', `MG${'a'.repeat(32)}`]]));
    expect(t).toEqual({ ok: true, value: { to: '+447400123456', text: 'Hi' } });
  });

  it('accepts and ignores the parameters listed as ignored', () => {
    expect(submissionFromTwilio(form([...base, ...IGNORED_PARAMETERS.map((p): [string, string] => [p, 'true'])]))).toMatchObject({ ok: true });
  });

  it.each([
    ['no To', base.filter(([k]) => k !== 'To'), 21604],
    ['no Body', base.filter(([k]) => k !== 'Body'), 21602],
    ['an empty Body', [...base.filter(([k]) => k !== 'Body'), ['Body', '']], 21602],
    ['neither From nor MessagingServiceSid', base.filter(([k]) => k !== 'From'), 21603],
    ['a MessagingServiceSid that is not one', [...base, ['MessagingServiceSid', 'MG123']], 20422],
    ['a MediaUrl', [...base, ['MediaUrl', 'https://example.com/cat.jpg']], 21620],
    ['a ContentSid', [...base, ['ContentSid', 'HX123']], 20422],
    ['an unknown parameter', [...base, ['Foo', 'bar']], 20422],
    ['a ValidityPeriod of 0', [...base, ['ValidityPeriod', '0']], 90007],
    ['a ValidityPeriod over 36000', [...base, ['ValidityPeriod', '36001']], 90007],
    ['a ValidityPeriod that is not a number', [...base, ['ValidityPeriod', '1e3']], 90007],
    ['SendAt without ScheduleType', [...base, ['SendAt', '2026-12-01T21:00:00Z']], 20422],
    ['a ScheduleType other than fixed', [...base, ['SendAt', '2026-12-01T21:00:00Z'], ['ScheduleType', 'later']], 20422],
    ['a SendAt that is no date', [...base, ['SendAt', 'tomorrow'], ['ScheduleType', 'fixed']], 20422],
  ] as [string, [string, string][], number][])('refuses %s with code %i', (_what, entries, code) => {
    expect(refusal(entries)).toMatchObject({ code, status: 400 });
  });

  it('refuses a parameter given twice, naming it', () => {
    const t = submissionFromTwilio(new Map([['To', ['+447400123456', '+447800123456']], ['Body', ['x']], ['From', ['A']]]));
    expect(t.ok ? undefined : JSON.parse(t.response.body)).toMatchObject({ code: 20422, message: 'To: given 2 times; give it once' });
  });
});

describe('twilioResource', () => {
  it('writes dates in RFC 2822, UTC', () => {
    expect(rfc2822('2026-12-01T20:00:00.000Z')).toBe('Tue, 01 Dec 2026 20:00:00 +0000');
  });

  it('writes a price negative, with 5 or 6 decimals', () => {
    expect(twilioPrice(0.04)).toBe('-0.04000');
    expect(twilioPrice(0.0075)).toBe('-0.00750');
    expect(twilioPrice(0.000125)).toBe('-0.000125');
  });

  it('is Twilio’s Message resource of the record', () => {
    const record = { ...completeMessageRecord(), text: 'Your code is 123456' };
    const sid = messageSid(record.id);
    expect(twilioResource(record, TWILIO_ACCOUNT_SID)).toEqual({
      sid,
      account_sid: TWILIO_ACCOUNT_SID,
      api_version: '2010-04-01',
      body: 'Your code is 123456',
      date_created: 'Sat, 01 Mar 2025 12:00:00 +0000',
      date_sent: 'Sat, 01 Mar 2025 12:00:02 +0000',
      date_updated: rfc2822(record.updatedAt),
      direction: 'outbound-api',
      error_code: null,
      error_message: null,
      from: 'ACME',
      to: record.to,
      messaging_service_sid: null,
      num_media: '0',
      num_segments: '2',
      price: '-0.08000',
      price_unit: 'EUR',
      status: 'delivered',
      subresource_uris: { media: `/2010-04-01/Accounts/${TWILIO_ACCOUNT_SID}/Messages/${sid}/Media.json` },
      uri: `/2010-04-01/Accounts/${TWILIO_ACCOUNT_SID}/Messages/${sid}.json`,
    });
  });

  it('gives a message without text, sender, price or submission an empty body and nulls', () => {
    const { text: _gone, ...record } = messageRecord({ status: 'REJECTED', reason: 'opted_out' });
    expect(twilioResource(record, TWILIO_ACCOUNT_SID)).toMatchObject({ body: '', from: null, price: null, price_unit: null, date_sent: null, status: 'failed', error_code: 21610, error_message: 'Attempt to send to unsubscribed recipient' });
  });
});

describe('status callbacks', () => {
  const url = 'https://hooks.acme.example/twilio-status?tenant=acme';

  it('are signed as the official SDK’s validateRequest expects', () => {
    const params = { MessageSid: 'SM1', MessageStatus: 'delivered', AccountSid: TWILIO_ACCOUNT_SID, To: '+447400123456', From: '+447700900000', ApiVersion: '2010-04-01' };
    const signature = twilioSignature(TWILIO_AUTH_TOKEN, url, params);
    expect(signature).toBe(twilio.getExpectedTwilioSignature(TWILIO_AUTH_TOKEN, url, params));
    expect(twilio.validateRequest(TWILIO_AUTH_TOKEN, signature, url, params)).toBe(true);
    expect(twilio.validateRequest('another-token-0123456789abcdef', signature, url, params)).toBe(false);
    expect(twilio.validateRequest(TWILIO_AUTH_TOKEN, signature, url, { ...params, MessageStatus: 'failed' })).toBe(false);
  });

  it('carry Twilio’s parameters of the event, ErrorCode only when it failed', () => {
    const delivered = { ...statusEvent(), status: 'DELIVERED' as const, previousStatus: 'SUBMITTED' as const, to: '+447400123456', from: '+447700900000' };
    const sid = messageSid(delivered.messageId);
    expect(callbackParams(delivered, TWILIO_ACCOUNT_SID)).toEqual({
      AccountSid: TWILIO_ACCOUNT_SID,
      ApiVersion: '2010-04-01',
      From: '+447700900000',
      MessageSid: sid,
      MessageStatus: 'delivered',
      SmsSid: sid,
      SmsStatus: 'delivered',
      To: '+447400123456',
    });
    const expired = { ...delivered, status: 'EXPIRED' as const, previousStatus: 'ROUTED' as const, reason: 'validity_elapsed' };
    expect(callbackParams(expired, TWILIO_ACCOUNT_SID)).toMatchObject({ MessageStatus: 'failed', ErrorCode: '30036' });
    expect(callbackParams({ ...expired, previousStatus: 'SUBMITTED', reason: 'receipt_expired' }, TWILIO_ACCOUNT_SID)).toMatchObject({ MessageStatus: 'undelivered' });
  });

  it('are posted for a change of Twilio status only: ACCEPTED → ROUTED and RETRYING → ROUTED stay queued', () => {
    expect(changesTwilioStatus({ status: 'ACCEPTED', previousStatus: undefined })).toBe(true);
    expect(changesTwilioStatus({ status: 'ROUTED', previousStatus: 'ACCEPTED' })).toBe(false);
    expect(changesTwilioStatus({ status: 'RETRYING', previousStatus: 'ROUTED' })).toBe(false);
    expect(changesTwilioStatus({ status: 'SUBMITTED', previousStatus: 'ROUTED' })).toBe(true);
    expect(changesTwilioStatus({ status: 'UNKNOWN', previousStatus: 'SUBMITTED' })).toBe(false);
    expect(changesTwilioStatus({ status: 'DELIVERED', previousStatus: 'SUBMITTED' })).toBe(true);
    expect(changesTwilioStatus({ status: 'CANCELED', previousStatus: 'ROUTED' })).toBe(true);
  });
});
