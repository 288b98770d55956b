/**
 * Status webhooks, pure parts: signature (golden vector computed independently
 * with node:crypto), verification, retry schedule, callback URL rules, the DNS
 * guard with an injected lookup, and status events from table images.
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { StatusEvent, statusEventsFromChange } from '../../core/domain/status-event';
import {
  checkCallbackUrl,
  MAX_WEBHOOK_ATTEMPTS,
  nextStepAfterFailure,
  parseSignatureHeader,
  resolveAndCheck,
  retryDelayBounds,
  retryDelaySeconds,
  signingSecretsFrom,
  signWebhook,
  verifyWebhook,
  webhookHeaders,
  type Lookup,
} from '../../core/domain/webhook';

const SECRET = 'whsec_5WbX5kEWLlfzsGNjH64I8lOOqUB6e8FH';
const BODY = '{"version":1,"type":"message.status","eventId":"m1:2","status":"DELIVERED"}';
const T = 1_767_225_600; // 2026-01-01T00:00:00Z

describe('signWebhook', () => {
  it('is hex HMAC-SHA256 over "<timestamp>.<body>" (golden vector)', () => {
    const expected = createHmac('sha256', SECRET).update(`${T}.${BODY}`).digest('hex');
    expect(signWebhook(SECRET, T, BODY)).toBe(expected);
    expect(signWebhook(SECRET, T, BODY)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('signs the exact bytes: non-ASCII bodies are UTF-8', () => {
    const body = '{"reference":"Café ☕ 🚀"}';
    expect(signWebhook(SECRET, T, body)).toBe(createHmac('sha256', SECRET).update(Buffer.from(`${T}.${body}`, 'utf8')).digest('hex'));
  });

  it('refuses a timestamp that is not whole seconds', () => {
    expect(() => signWebhook(SECRET, 1.5, BODY)).toThrow(/whole unix seconds/);
  });

  it('webhookHeaders carries id, timestamp and t=…,v1=…', () => {
    const headers = webhookHeaders(SECRET, 'm1:2', T, BODY);
    expect(headers).toEqual({
      'Webhook-Id': 'm1:2',
      'Webhook-Timestamp': String(T),
      'Webhook-Signature': `t=${T},v1=${signWebhook(SECRET, T, BODY)}`,
    });
  });
});

describe('verifyWebhook', () => {
  const header = `t=${T},v1=${signWebhook(SECRET, T, BODY)}`;

  it('accepts a valid signature within the tolerance, either side of now', () => {
    expect(verifyWebhook(SECRET, header, BODY, T)).toBe(true);
    expect(verifyWebhook(SECRET, header, BODY, T + 300)).toBe(true);
    expect(verifyWebhook(SECRET, header, BODY, T - 300)).toBe(true);
  });

  it('rejects a tampered body, a wrong secret and a tampered timestamp', () => {
    expect(verifyWebhook(SECRET, header, BODY.replace('DELIVERED', 'FAILED'), T)).toBe(false);
    expect(verifyWebhook('other-secret', header, BODY, T)).toBe(false);
    expect(verifyWebhook(SECRET, header.replace(`t=${T}`, `t=${T + 1}`), BODY, T)).toBe(false);
  });

  it('rejects a stale (or future) timestamp', () => {
    expect(verifyWebhook(SECRET, header, BODY, T + 301)).toBe(false);
    expect(verifyWebhook(SECRET, header, BODY, T - 301)).toBe(false);
    expect(verifyWebhook(SECRET, header, BODY, T + 1000, 3600)).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['no timestamp', `v1=${signWebhook(SECRET, T, BODY)}`],
    ['no signature', `t=${T}`],
    ['short signature', `t=${T},v1=abc123`],
    ['non-hex signature', `t=${T},v1=${'z'.repeat(64)}`],
    ['non-numeric timestamp', `t=soon,v1=${signWebhook(SECRET, T, BODY)}`],
    ['two timestamps', `t=${T},t=${T},v1=${signWebhook(SECRET, T, BODY)}`],
    ['no "="', `t${T},v1=${signWebhook(SECRET, T, BODY)}`],
  ])('rejects a malformed header (%s)', (_name, bad) => {
    expect(verifyWebhook(SECRET, bad, BODY, T)).toBe(false);
  });

  it('accepts any matching v1 (secret rotation), ignores unknown schemes and spaces', () => {
    const rotated = `t=${T}, v1=${signWebhook('old-secret', T, BODY)}, v1=${signWebhook(SECRET, T, BODY)}, v2=whatever`;
    expect(parseSignatureHeader(rotated)?.signatures).toHaveLength(2);
    expect(verifyWebhook(SECRET, rotated, BODY, T)).toBe(true);
    expect(verifyWebhook('old-secret', rotated, BODY, T)).toBe(true);
  });
});

describe('signingSecretsFrom', () => {
  it('a JSON object maps tenants to secrets', () => {
    const secrets = signingSecretsFrom('{"acme":"s-acme","globex":"s-globex"}');
    expect(secrets('acme')).toBe('s-acme');
    expect(secrets('globex')).toBe('s-globex');
    expect(secrets('initech')).toBeUndefined();
  });

  it('a plain string (or JSON that is not an object) is the secret of every tenant', () => {
    expect(signingSecretsFrom('whsec_plain')('anyone')).toBe('whsec_plain');
    expect(signingSecretsFrom('12345678')('anyone')).toBe('12345678');
  });

  it('refuses an empty secret and an object with non-string values', () => {
    expect(() => signingSecretsFrom('  ')).toThrow(/empty/);
    expect(() => signingSecretsFrom('{"acme":5}')).toThrow(/tenant ids to non-empty strings/);
  });
});

describe('retry schedule', () => {
  it('grows from [15, 30] s and is capped at [1800, 3600] s', () => {
    expect(retryDelayBounds(1)).toEqual({ min: 15, max: 30 });
    expect(retryDelayBounds(2)).toEqual({ min: 30, max: 60 });
    expect(retryDelayBounds(7)).toEqual({ min: 960, max: 1920 });
    expect(retryDelayBounds(8)).toEqual({ min: 1800, max: 3600 });
    expect(retryDelayBounds(1000)).toEqual({ min: 1800, max: 3600 });
  });

  it('draws within the bounds, reaching both ends', () => {
    for (const attempt of [1, 2, 5, 8, 30, MAX_WEBHOOK_ATTEMPTS]) {
      const { min, max } = retryDelayBounds(attempt);
      expect(retryDelaySeconds(attempt, () => 0)).toBe(min);
      expect(retryDelaySeconds(attempt, () => 0.999999999)).toBe(max);
      for (let i = 0; i < 200; i++) {
        const d = retryDelaySeconds(attempt);
        expect(Number.isInteger(d)).toBe(true);
        expect(d).toBeGreaterThanOrEqual(min);
        expect(d).toBeLessThanOrEqual(max);
      }
    }
  });

  it('covers at least 24 h before the last attempt even at the minimum of the jitter, and stays under the 12 h visibility limit', () => {
    let minimum = 0;
    let maximum = 0;
    for (let attempt = 1; attempt < MAX_WEBHOOK_ATTEMPTS; attempt++) {
      minimum += retryDelayBounds(attempt).min;
      maximum += retryDelayBounds(attempt).max;
      expect(retryDelayBounds(attempt).max).toBeLessThanOrEqual(12 * 3600);
    }
    expect(minimum).toBeGreaterThanOrEqual(86_400);
    // And not needlessly more: one attempt fewer would fall short.
    expect(minimum - retryDelayBounds(MAX_WEBHOOK_ATTEMPTS - 1).min).toBeLessThan(86_400);
    expect(maximum).toBeLessThan(4 * 86_400); // SQS default retention
  });

  it('retries retryable failures until the last attempt, then dead-letters; others dead-letter at once', () => {
    expect(nextStepAfterFailure({ retryable: true, reason: 'HTTP 500' }, 1, () => 0)).toEqual({ action: 'retry', delaySeconds: 15 });
    expect(nextStepAfterFailure({ retryable: true, reason: 'HTTP 500' }, MAX_WEBHOOK_ATTEMPTS - 1).action).toBe('retry');
    expect(nextStepAfterFailure({ retryable: true, reason: 'HTTP 500' }, MAX_WEBHOOK_ATTEMPTS)).toEqual({
      action: 'dead-letter',
      reason: `gave up after ${MAX_WEBHOOK_ATTEMPTS} attempts: HTTP 500`,
    });
    expect(nextStepAfterFailure({ retryable: false, reason: 'HTTP 404' }, 1)).toEqual({ action: 'dead-letter', reason: 'HTTP 404' });
  });
});

describe('checkCallbackUrl', () => {
  const strict = { allowHttp: false, allowPrivate: false };

  it.each([
    'https://hooks.example.com/sms/status',
    'https://hooks.example.com:8443/sms?token=abc',
    'https://8.8.8.8/hook',
    'https://[2001:4860:4860::8888]/hook',
    'https://172.32.0.1/', // just outside 172.16/12
    'https://100.128.0.1/', // just outside 100.64/10
    'https://hooks.example.com./', // trailing dot
  ])('accepts %s', (url) => {
    expect(checkCallbackUrl(url, strict)).toEqual({ ok: true });
  });

  it.each([
    ['http', 'http://hooks.example.com/', /https/],
    ['ftp', 'ftp://hooks.example.com/', /https/],
    ['javascript', 'javascript:alert(1)', /https/],
    ['not a URL', 'hooks.example.com/status', /not a valid URL/],
    ['too long', `https://hooks.example.com/${'a'.repeat(2048)}`, /2048/],
    ['credentials', 'https://user:pw@hooks.example.com/', /credentials/],
    ['userinfo trick', 'https://good.com@10.0.0.1/', /credentials|private/],
    ['10/8', 'https://10.1.2.3/', /10\.0\.0\.0\/8/],
    ['172.16/12', 'https://172.16.0.1/', /172\.16\.0\.0\/12/],
    ['172.31 (top of 172.16/12)', 'https://172.31.255.255/', /172\.16\.0\.0\/12/],
    ['192.168/16', 'https://192.168.1.1/', /192\.168/],
    ['127/8', 'https://127.0.0.1/', /loopback/],
    ['127.1.2.3', 'https://127.1.2.3/', /loopback/],
    ['metadata', 'https://169.254.169.254/latest/meta-data/', /link-local/],
    ['ECS task metadata', 'https://169.254.170.2/v2/credentials', /link-local/],
    ['100.64/10', 'https://100.64.0.1/', /100\.64/],
    ['0/8', 'https://0.0.0.0/', /0\.0\.0\.0\/8/],
    ['multicast', 'https://224.0.0.1/', /multicast/],
    ['broadcast', 'https://255.255.255.255/', /reserved/],
    ['decimal IP', 'https://2130706433/', /loopback/],
    ['hex IP', 'https://0x7f.1/', /loopback/],
    ['octal IP', 'https://0177.0.0.1/', /loopback/],
    ['short IP', 'https://10.1/', /10\.0\.0\.0\/8/],
    ['::1', 'https://[::1]/', /loopback/],
    ['::', 'https://[::]/', /unspecified/],
    ['IPv4-mapped', 'https://[::ffff:127.0.0.1]/', /IPv4-mapped/],
    ['IPv4-mapped public', 'https://[::ffff:8.8.8.8]/', /IPv4-mapped/],
    ['IPv4-compatible', 'https://[::10.0.0.1]/', /IPv4-compatible/],
    ['ULA', 'https://[fd12:3456:789a::1]/', /unique local/],
    ['fc00::/7 low end', 'https://[fc00::1]/', /unique local/],
    ['AWS IPv6 metadata', 'https://[fd00:ec2::254]/', /unique local/],
    ['link-local v6', 'https://[fe80::1]/', /link-local/],
    ['link-local v6 top', 'https://[febf::1]/', /link-local/],
    ['multicast v6', 'https://[ff02::1]/', /multicast/],
    ['NAT64 of private', 'https://[64:ff9b::10.0.0.1]/', /NAT64.*10\.0\.0\.0/],
    ['6to4 of loopback', 'https://[2002:7f00:1::]/', /6to4.*loopback/],
    ['localhost', 'https://localhost/', /localhost/],
    ['LOCALHOST.', 'https://LOCALHOST./', /localhost/],
    ['*.localhost', 'https://api.localhost/', /localhost/],
    ['*.internal', 'https://metadata.google.internal/', /internal/],
    ['*.internal (AWS)', 'https://ip-10-0-0-1.ec2.internal/', /internal/],
    ['single label', 'https://intranet/', /fully qualified/],
  ])('refuses %s', (_name, url, problem) => {
    const result = checkCallbackUrl(url, strict);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problem).toMatch(problem);
  });

  it('accepts http only when allowed', () => {
    expect(checkCallbackUrl('http://hooks.example.com/', { allowHttp: true, allowPrivate: false })).toEqual({ ok: true });
    expect(checkCallbackUrl('ftp://hooks.example.com/', { allowHttp: true, allowPrivate: false }).ok).toBe(false);
  });

  it('accepts private and local hosts only when allowed (emulator use), still refusing credentials', () => {
    const local = { allowHttp: true, allowPrivate: true };
    expect(checkCallbackUrl('http://127.0.0.1:4566/hook', local)).toEqual({ ok: true });
    expect(checkCallbackUrl('http://localhost:3000/hook', local)).toEqual({ ok: true });
    expect(checkCallbackUrl('http://host.docker.internal/hook', local)).toEqual({ ok: true });
    expect(checkCallbackUrl('http://u:p@localhost/hook', local).ok).toBe(false);
  });
});

describe('resolveAndCheck (DNS guard)', () => {
  const resolvesTo =
    (...addresses: string[]): Lookup =>
    async () =>
      addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

  it('accepts a name whose addresses are all public', async () => {
    const result = await resolveAndCheck('https://hooks.example.com/x', resolvesTo('93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'));
    expect(result).toEqual({ ok: true, addresses: ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'] });
  });

  it.each([
    ['one private among public', ['93.184.216.34', '10.0.0.5'], /10\.0\.0\.0\/8/],
    ['metadata', ['169.254.169.254'], /link-local/],
    ['loopback v6', ['::1'], /loopback/],
    ['IPv4-mapped', ['::ffff:192.168.0.1'], /IPv4-mapped/],
    ['ULA', ['fd00:ec2::254'], /unique local/],
  ])('refuses a name that resolves to a blocked address (%s)', async (_name, addresses, problem) => {
    const result = await resolveAndCheck('https://rebind.example.com/x', resolvesTo(...addresses));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problem).toMatch(problem);
  });

  it('judges an IP literal without a lookup', async () => {
    const lookup: Lookup = async () => {
      throw new Error('must not be called');
    };
    expect(await resolveAndCheck('https://8.8.8.8/', lookup)).toEqual({ ok: true, addresses: ['8.8.8.8'] });
    expect((await resolveAndCheck('https://[::1]/', lookup)).ok).toBe(false);
  });

  it('throws (a retryable failure) when the lookup fails or finds nothing', async () => {
    const failing: Lookup = async () => {
      throw Object.assign(new Error('getaddrinfo EAI_AGAIN'), { code: 'EAI_AGAIN' });
    };
    await expect(resolveAndCheck('https://hooks.example.com/', failing)).rejects.toThrow(/EAI_AGAIN/);
    await expect(resolveAndCheck('https://hooks.example.com/', resolvesTo())).rejects.toThrow(/no address/);
  });
});

// ---------------------------------------------------------------- status events

function messageImage(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    pk: 'MSG#m1',
    sk: 'MSG',
    kind: 'message',
    id: 'm1',
    tenantId: 'acme',
    status: 'ACCEPTED',
    to: '+447400123456',
    text: 'Your code is 123456',
    type: 'transactional',
    encoding: 'GSM7',
    segments: 1,
    reference: 'order-42',
    validUntil: '2026-01-02T00:00:00.000Z',
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    attempt: 0,
    history: [{ status: 'ACCEPTED', at: '2026-01-01T00:00:00.000Z' }],
    ...overrides,
  };
}

const ROUTED = { status: 'ROUTED', at: '2026-01-01T00:00:01.000Z', carrierId: 'c-a', attempt: 1 };
const SUBMITTED = { status: 'SUBMITTED', at: '2026-01-01T00:00:02.000Z' };
const DELIVERED = { status: 'DELIVERED', at: '2026-01-01T00:00:09.000Z', reason: 'DELIVRD' };

describe('statusEventsFromChange', () => {
  it('an INSERT yields one event per history entry (ACCEPTED)', () => {
    const events = statusEventsFromChange(undefined, messageImage());
    expect(events).toEqual([
      {
        version: 1,
        type: 'message.status',
        eventId: 'm1:0',
        messageId: 'm1',
        tenantId: 'acme',
        reference: 'order-42',
        status: 'ACCEPTED',
        segments: 1,
        attempt: 0,
        occurredAt: '2026-01-01T00:00:00.000Z',
        createdAt: '2026-01-01T00:00:00.000Z',
      },
    ]);
    expect(StatusEvent.parse(events[0])).toEqual(events[0]);
  });

  it('a MODIFY yields only the appended entries, with previous status, carrier and attempt carried forward', () => {
    const old = messageImage({ status: 'ROUTED', attempt: 1, carrierId: 'c-a', history: [messageImage().history, ROUTED].flat() });
    const next = messageImage({
      status: 'DELIVERED',
      attempt: 1,
      carrierId: 'c-a',
      callbackUrl: 'https://hooks.example.com/sms',
      history: [(messageImage().history as unknown[])[0], ROUTED, SUBMITTED, DELIVERED],
    });
    const events = statusEventsFromChange(old, next);
    expect(events.map((e) => [e.eventId, e.previousStatus, e.status, e.carrierId, e.attempt, e.reason, e.occurredAt])).toEqual([
      ['m1:2', 'ROUTED', 'SUBMITTED', 'c-a', 1, undefined, SUBMITTED.at],
      ['m1:3', 'SUBMITTED', 'DELIVERED', 'c-a', 1, 'DELIVRD', DELIVERED.at],
    ]);
    expect(events.every((e) => e.callbackUrl === 'https://hooks.example.com/sms')).toBe(true);
    for (const e of events) expect(StatusEvent.safeParse(e).success).toBe(true);
  });

  it('gives the same event ids when the same change is seen again (stream redelivery)', () => {
    const old = messageImage();
    const next = messageImage({ status: 'ROUTED', attempt: 1, history: [(messageImage().history as unknown[])[0], ROUTED] });
    expect(statusEventsFromChange(old, next)).toEqual(statusEventsFromChange(old, next));
    expect(statusEventsFromChange(old, next).map((e) => e.eventId)).toEqual(['m1:1']);
  });

  it('a change that appends nothing (e.g. TTL bump) yields nothing; so do removals and other item kinds', () => {
    expect(statusEventsFromChange(messageImage(), messageImage({ updatedAt: '2026-01-01T00:01:00.000Z' }))).toEqual([]);
    expect(statusEventsFromChange(messageImage(), undefined)).toEqual([]);
    expect(statusEventsFromChange(undefined, { pk: 'SMSC#c-a#1', sk: 'SMSC', kind: 'smsc-id', messageId: 'm1' })).toEqual([]);
  });

  it('throws on a message record that does not have the expected shape', () => {
    expect(() => statusEventsFromChange(undefined, messageImage({ history: [{ status: 'LOST', at: 'yesterday' }] }))).toThrow();
  });

  it('never includes the text or the destination number', () => {
    const json = JSON.stringify(statusEventsFromChange(undefined, messageImage()));
    expect(json).not.toContain('123456');
    expect(json).not.toContain('+447400');
  });
});
