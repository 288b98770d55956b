import type { APIGatewayProxyResult } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { MAX_BATCH_BODY_BYTES, MAX_SINGLE_BODY_BYTES, MessagesApi, publicView } from '../../core/api/messages-api';
import { canonicalJson, IDEMPOTENCY_KEY_PATTERN, messageId, requestHash } from '../../core/domain/idempotency';
import { routeMessage } from '../../core/domain/route-message';
import { RoutingTable } from '../../core/domain/routing';
import {
  API_KEYS,
  apiFixture,
  apiRequest,
  bodyOf,
  completeMessageRecord,
  headerOf,
  ingestEnvelope,
  InMemoryPumpingCounter,
  InMemoryOptOutRepository,
  InMemoryInboundRepository,
  InMemoryRequestCounter,
  InMemoryUsageCounter,
  InMemoryRouterPorts,
  LANDLINE_GB,
  messageRecord,
  MOBILE,
  NOW,
  runtimeConfigFor,
  seededRandom,
  submissionBody,
  TEST_API_URL,
} from '../support/factories';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Asserts the RFC 9457 shape every error of the API has, and returns the body. */
function expectProblem(res: APIGatewayProxyResult, status: number, type: string) {
  expect(res.statusCode).toBe(status);
  expect(headerOf(res, 'content-type')).toBe('application/problem+json');
  const body = bodyOf(res);
  expect(body).toMatchObject({ type: `${TEST_API_URL}/problems/${type}`, status });
  expect(typeof body.title).toBe('string');
  expect(typeof body.detail).toBe('string');
  return body;
}

function batchBody(messages: unknown[]) {
  return { messages };
}

const ROUTED_REASON = 'route "uk" matched prefix +447; first carrier healthy';

describe('POST /v1/messages', () => {
  it('answers 202 with id, status ACCEPTED, encoding and segments, and stores the message ROUTED for attempt 1', async () => {
    // Prepare
    const { api, messages } = await apiFixture();
    const body = submissionBody({ to: '+44 7400 123456', from: 'ACME', reference: 'order-42', validitySeconds: 600 });
    // Act
    const res = await api.handle(apiRequest({ body }));
    // Assess
    expect(res.statusCode).toBe(202);
    expect(headerOf(res, 'content-type')).toBe('application/json');
    const accepted = bodyOf(res);
    expect(accepted).toEqual({ id: expect.stringMatching(UUID), status: 'ACCEPTED', encoding: 'GSM7', segments: 1 });
    expect(headerOf(res, 'location')).toBe(`/v1/messages/${accepted.id}`);
    expect(headerOf(res, 'idempotent-replayed')).toBeUndefined();
    expect(messages.all()).toEqual([
      {
        id: accepted.id,
        tenantId: 'acme',
        to: MOBILE.GB,
        country: 'GB',
        from: 'ACME',
        text: body.text,
        type: 'transactional',
        encoding: 'GSM7',
        segments: 1,
        reference: 'order-42',
        validUntil: new Date(NOW.getTime() + 600_000).toISOString(),
        createdAt: NOW.toISOString(),
        updatedAt: NOW.toISOString(),
        status: 'ROUTED',
        attempt: 1,
        carrierId: 'c-a',
        reason: ROUTED_REASON,
        history: [
          { status: 'ACCEPTED', at: NOW.toISOString() },
          { status: 'ROUTED', at: NOW.toISOString(), carrierId: 'c-a', attempt: 1, reason: ROUTED_REASON },
        ],
      },
    ]);
  });

  it('routes by the same rule as the router: the stored record is the ACCEPTED one with the router\'s ROUTED change', async () => {
    // Prepare: what the router would make of the same message, stored ACCEPTED
    const { api, messages, down } = await apiFixture();
    down.add('c-a');
    const res = await api.handle(apiRequest());
    const stored = (await messages.get(bodyOf(res).id))!;
    const unrouted = { ...stored, status: 'ACCEPTED' as const, attempt: 0, history: stored.history.slice(0, 1) };
    delete unrouted.carrierId;
    delete unrouted.reason;
    const router = new InMemoryRouterPorts(unrouted);
    router.down.add('c-a');
    // Act
    await routeMessage(ingestEnvelope(unrouted), new RoutingTable((await runtimeConfigFor()).routes), router);
    // Assess: the same status, attempt, carrier, reason and history (failover included); the router's dueAt is the table's own
    const { dueAt: _dueAt, ...byRouter } = router.record(stored.id) as typeof stored & { dueAt?: string };
    expect(stored).toEqual(byRouter);
    expect(stored).toMatchObject({ status: 'ROUTED', carrierId: 'c-b', attempt: 1 });
  });

  it('stores a message no route takes ACCEPTED, for the router (which rejects it: no_route)', async () => {
    // Prepare: a route for some UK mobiles only (+4474), so +44 is a reached calling code
    const { api, messages, accepted } = await apiFixture({ routes: [{ id: 'uk', kind: 'static', match: { prefix: ['+4474'] }, carrier: 'c-a' }] });
    // Act: a UK mobile no route takes
    const res = await api.handle(apiRequest({ body: submissionBody({ to: MOBILE.GB_OTHER }) }));
    // Assess
    expect(res.statusCode).toBe(202);
    const [record] = messages.all();
    expect(record).toMatchObject({ status: 'ACCEPTED', attempt: 0, history: [{ status: 'ACCEPTED', at: NOW.toISOString() }] });
    expect(record).not.toHaveProperty('carrierId');
    expect(accepted.map((a) => a.route)).toEqual([undefined]);
  });

  it('stores the message ACCEPTED, for the router, when carrier health cannot be read', async () => {
    // Prepare
    const { api, messages, health, logs } = await apiFixture();
    health.error = Object.assign(new Error('table unavailable'), { name: 'ProvisionedThroughputExceededException' });
    // Act
    const res = await api.handle(apiRequest());
    // Assess: accepted all the same; the router routes it
    expect(res.statusCode).toBe(202);
    expect(messages.all().map((m) => [m.status, m.attempt])).toEqual([['ACCEPTED', 0]]);
    expect(logs.map((l) => [l.event, l.level])).toEqual([
      ['HEALTH_UNAVAILABLE', 'warn'],
      ['MESSAGE_ACCEPTED', 'info'],
    ]);
  });

  it('tells the caller what it accepted and how it routed it (the metrics), and logs one line naming the carrier', async () => {
    const { api, accepted, logs } = await apiFixture();
    const res = await api.handle(apiRequest());
    expect(accepted.map((a) => [a.record.id, a.route?.routeId, a.route?.carrierId])).toEqual([[bodyOf(res).id, 'uk', 'c-a']]);
    expect(logs).toEqual([{ event: 'MESSAGE_ACCEPTED', level: 'info', data: { messageId: bodyOf(res).id, tenantId: 'acme', to: MOBILE.GB, segments: 1, carrierId: 'c-a', routeId: 'uk' } }]);
  });

  it('keeps no request hash without an Idempotency-Key (only a replay reads it), and keeps it with one', async () => {
    // Prepare
    const { api, messages } = await apiFixture();
    const body = submissionBody({ text: 'hashed?' });
    // Act
    const plain = bodyOf(await api.handle(apiRequest({ body })));
    const keyed = bodyOf(await api.handle(apiRequest({ body, headers: { 'idempotency-key': 'k-hash' } })));
    // Assess
    expect(await messages.get(plain.id)).not.toHaveProperty('requestHash');
    expect((await messages.get(keyed.id))!.requestHash).toBe(requestHash('POST /v1/messages', body));
  });

  it('a random id that exists already is no replay: 503, nothing overwritten', async () => {
    // Prepare: the table answers that the new message's (random) id exists, with another message
    const { api, messages } = await apiFixture();
    const first = bodyOf(await api.handle(apiRequest()));
    const original = (await messages.get(first.id))!;
    vi.spyOn(messages, 'create').mockResolvedValueOnce({ created: false, existing: original });
    // Act
    const res = await api.handle(apiRequest({ body: submissionBody({ text: 'another' }) })).catch((err: Error) => err);
    // Assess: the handler maps the throw to 503 (lambdas/api); the stored message is the first one
    expect(res).toBeInstanceOf(Error);
    expect(await messages.get(first.id)).toEqual(original);
  });

  it('counts UCS-2 segments in the answer', async () => {
    const { api } = await apiFixture();
    const res = await api.handle(apiRequest({ body: submissionBody({ text: 'ж'.repeat(71) }) }));
    expect(bodyOf(res)).toMatchObject({ encoding: 'UCS2', segments: 2 });
  });

  it('takes header names in any case, a charset parameter and a trailing slash', async () => {
    // Prepare
    const { api, messages } = await apiFixture();
    const req = apiRequest({ path: '/v1/messages/', headers: { 'content-type': undefined, 'x-api-key': undefined, 'Content-Type': 'application/json; charset=utf-8', 'X-Api-Key': API_KEYS.globex } });
    // Act
    const res = await api.handle(req);
    // Assess
    expect(res.statusCode).toBe(202);
    expect(messages.all().map((m) => m.tenantId)).toEqual(['globex']);
  });

  it('logs the acceptance without the message text', async () => {
    const { api, logs } = await apiFixture();
    await api.handle(apiRequest({ body: submissionBody({ text: 'secret one-time code 998877' }) }));
    expect(logs.map((l) => l.event)).toEqual(['MESSAGE_ACCEPTED']);
    expect(JSON.stringify(logs)).not.toContain('998877');
  });
});

describe('POST /v1/messages?dryRun=true', () => {
  it('stores nothing and answers 200 with the route it would take', async () => {
    // Prepare
    const { api, messages } = await apiFixture();
    // Act
    const res = await api.handle(apiRequest({ query: { dryRun: 'true' } }));
    // Assess
    expect(res.statusCode).toBe(200);
    expect(bodyOf(res)).toEqual({
      dryRun: true,
      encoding: 'GSM7',
      segments: 1,
      to: MOBILE.GB,
      country: 'GB',
      route: { outcome: 'routed', routeId: 'uk', carrierId: 'c-a', reason: 'route "uk" matched prefix +447; first carrier healthy', skippedCarriers: [] },
    });
    expect(messages.size).toBe(0);
    expect(messages.createCalls).toBe(0);
  });

  it('uses current carrier health', async () => {
    const { api, down } = await apiFixture();
    down.add('c-a');
    const res = await api.handle(apiRequest({ query: { dryRun: '1' } }));
    expect(bodyOf(res).route).toMatchObject({ routeId: 'uk', carrierId: 'c-b', skippedCarriers: ['c-a'] });
  });

  it('answers no_route (still 200) when nothing would take the message', async () => {
    // Prepare
    const { api } = await apiFixture({ routes: [{ id: 'uk', kind: 'static', match: { prefix: ['+447'] }, carrier: 'c-a' }] });
    // Act
    const res = await api.handle(apiRequest({ query: { dryRun: 'true' }, body: submissionBody({ to: MOBILE.US }) }));
    // Assess
    expect(res.statusCode).toBe(200);
    expect(bodyOf(res).route).toEqual({ outcome: 'no_route', reason: expect.stringMatching(/no route matches/) });
  });

  it('validates like a real submission', async () => {
    const { api } = await apiFixture();
    const res = await api.handle(apiRequest({ query: { dryRun: 'true' }, body: submissionBody({ to: LANDLINE_GB }) }));
    expect(expectProblem(res, 422, 'validation-failed').errors).toEqual([{ field: 'to', problem: 'destination is not a valid mobile number for its country' }]);
  });

  it.each(['false', '0'])('dryRun=%j is a real submission', async (dryRun) => {
    const { api, messages } = await apiFixture();
    const res = await api.handle(apiRequest({ query: { dryRun } }));
    expect(res.statusCode).toBe(202);
    expect(messages.size).toBe(1);
  });

  it.each(['yes', '', 'TRUE'])('dryRun=%j is refused rather than sent', async (dryRun) => {
    const { api, messages } = await apiFixture();
    const res = await api.handle(apiRequest({ query: { dryRun } }));
    expect(expectProblem(res, 400, 'validation-failed').errors).toEqual([{ field: 'dryRun', problem: 'must be true or false' }]);
    expect(messages.size).toBe(0);
  });
});

describe('errors: RFC 9457 problem+json, nothing stored', () => {
  const oversizedSingle = JSON.stringify(submissionBody({ text: 'a'.repeat(MAX_SINGLE_BODY_BYTES) }));
  const oversizedBatch = JSON.stringify(batchBody([submissionBody({ text: 'a'.repeat(MAX_BATCH_BODY_BYTES) })]));

  it.each([
    { name: 'oversized single body', req: apiRequest({ body: oversizedSingle }), status: 413, type: 'payload-too-large' },
    { name: 'oversized batch body', req: apiRequest({ path: '/v1/messages/batch', body: oversizedBatch }), status: 413, type: 'payload-too-large' },
    { name: 'malformed JSON', req: apiRequest({ body: '{"to": "+447400123456", "text": ' }), status: 400, type: 'invalid-json' },
    { name: 'empty body', req: apiRequest({ body: '' }), status: 400, type: 'invalid-json' },
    { name: 'blank body', req: apiRequest({ body: '  \n ' }), status: 400, type: 'invalid-json' },
    { name: 'no body', req: apiRequest({ body: null }), status: 400, type: 'invalid-json' },
    { name: 'batch malformed JSON', req: apiRequest({ path: '/v1/messages/batch', body: '[' }), status: 400, type: 'invalid-json' },
    { name: 'missing API key', req: apiRequest({ headers: { 'x-api-key': undefined } }), status: 401, type: 'unauthorized' },
    { name: 'invalid API key', req: apiRequest({ headers: { 'x-api-key': 'not-a-key-of-anyone' } }), status: 401, type: 'unauthorized' },
    { name: 'empty API key', req: apiRequest({ headers: { 'x-api-key': '' } }), status: 401, type: 'unauthorized' },
    { name: 'unknown path', req: apiRequest({ path: '/v2/messages' }), status: 404, type: 'not-found' },
    { name: 'root path', req: apiRequest({ path: '/' }), status: 404, type: 'not-found' },
    { name: 'too deep a path', req: apiRequest({ method: 'GET', path: '/v1/messages/a/b' }), status: 404, type: 'not-found' },
    { name: 'DELETE on the collection', req: apiRequest({ method: 'DELETE', path: '/v1/messages' }), status: 405, type: 'method-not-allowed' },
    { name: 'PUT on batch', req: apiRequest({ method: 'PUT', path: '/v1/messages/batch' }), status: 405, type: 'method-not-allowed' },
  ])('$name → $status', async ({ req, status, type }) => {
    // Prepare
    const { api, messages } = await apiFixture();
    // Act
    const res = await api.handle(req);
    // Assess
    const body = expectProblem(res, status, type);
    expect(body.errors).toBeUndefined();
    expect(messages.size).toBe(0);
  });

  it.each([
    { name: 'wrong content type', contentType: 'text/plain', problem: 'must be application/json, got "text/plain"' },
    { name: 'no content type', contentType: undefined, problem: 'is missing; send application/json' },
    { name: 'application/jsonp', contentType: 'application/jsonp', problem: 'must be application/json, got "application/jsonp"' },
    { name: 'a charset other than UTF-8', contentType: 'application/json; charset=utf-16', problem: 'must name the charset UTF-8 or none, got "utf-16"' },
  ])('$name → 415 naming Content-Type, nothing stored', async ({ contentType, problem }) => {
    // Prepare
    const { api, messages } = await apiFixture();
    // Act
    const res = await api.handle(apiRequest({ headers: { 'content-type': contentType } }));
    // Assess
    expect(expectProblem(res, 415, 'unsupported-media-type').errors).toEqual([{ field: 'Content-Type', problem }]);
    expect(messages.size).toBe(0);
  });

  it.each(['application/json', 'application/json; charset=utf-8', 'Application/JSON;charset="UTF-8"', 'application/json; charset=utf8; boundary=x'])('accepts Content-Type %j', async (contentType) => {
    const { api } = await apiFixture();
    expect((await api.handle(apiRequest({ headers: { 'content-type': contentType } }))).statusCode).toBe(202);
  });

  it.each([
    { name: 'an unknown field', body: submissionBody({ priority: 'high' }), errors: [{ field: 'priority', problem: 'unknown field' }] },
    { name: 'an invalid destination', body: submissionBody({ to: '07400123456' }), errors: [{ field: 'to', problem: expect.stringMatching(/E\.164/) }] },
    { name: 'a 12-character sender', body: submissionBody({ from: 'ABCDEFGHIJKL' }), errors: [{ field: 'from', problem: 'an alphanumeric sender id is at most 11 characters' }] },
    { name: 'a missing text', body: submissionBody({ text: undefined }), errors: [{ field: 'text', problem: expect.any(String) }] },
    { name: 'a wrong type', body: submissionBody({ validitySeconds: '60' }), errors: [{ field: 'validitySeconds', problem: expect.any(String) }] },
    { name: 'an array body', body: [submissionBody()], errors: [{ field: '(body)', problem: expect.any(String) }] },
    { name: 'a JSON string body', body: '"hello"', errors: [{ field: '(body)', problem: expect.any(String) }] },
    { name: 'too many segments', body: submissionBody({ text: 'a'.repeat(1600) }), errors: [{ field: 'text', problem: 'text needs 11 segments in GSM7 (1600 septets); the limit is 10' }] },
  ])('422 for $name, naming the field in errors', async ({ body, errors }) => {
    // Prepare
    const { api, messages } = await apiFixture();
    // Act
    const res = await api.handle(apiRequest({ body }));
    // Assess
    const problem = expectProblem(res, 422, 'validation-failed');
    expect(problem.errors).toEqual(errors);
    expect(problem.detail).toContain(errors[0]!.field);
    expect(messages.size).toBe(0);
  });

  it('401 says whether the key is missing or wrong', async () => {
    const { api } = await apiFixture();
    const missing = bodyOf(await api.handle(apiRequest({ headers: { 'x-api-key': undefined } })));
    const wrong = bodyOf(await api.handle(apiRequest({ headers: { 'x-api-key': 'nope' } })));
    expect(missing.detail).toBe('the x-api-key header is missing');
    expect(wrong.detail).toBe('the x-api-key header does not hold a valid API key');
  });

  it('413 names the limit', async () => {
    const { api } = await apiFixture();
    const res = await api.handle(apiRequest({ body: 'x'.repeat(MAX_SINGLE_BODY_BYTES + 1) }));
    expect(expectProblem(res, 413, 'payload-too-large')).toMatchObject({ limit: MAX_SINGLE_BODY_BYTES });
  });

  it('counts the size in UTF-8 bytes, not characters', async () => {
    // Prepare: 6,000 Cyrillic characters are 12,000 bytes of text, under 16 KiB; 9,000 are over.
    const { api } = await apiFixture();
    const under = JSON.stringify(submissionBody({ text: 'ж'.repeat(6000) }));
    const over = JSON.stringify(submissionBody({ text: 'ж'.repeat(9000) }));
    // Act / Assess: the first fails later, on the text limit, not on size.
    expect((await api.handle(apiRequest({ body: under }))).statusCode).toBe(422);
    expect((await api.handle(apiRequest({ body: over }))).statusCode).toBe(413);
  });

  it.each([
    { method: 'PUT', path: '/v1/messages', allow: 'GET, POST' },
    { method: 'POST', path: '/v1/messages/0b6f2f38-6d0e-8c8b-9a1e-3f1c2d4e5f60', allow: 'GET, DELETE' },
    { method: 'GET', path: '/v1/messages/batch', allow: 'POST' },
    { method: 'OPTIONS', path: '/v1/messages', allow: 'GET, POST' },
  ])('405 for $method $path with allow: $allow (before authentication)', async ({ method, path, allow }) => {
    // Prepare
    const { api } = await apiFixture();
    // Act
    const res = await api.handle(apiRequest({ method, path, headers: { 'x-api-key': undefined } }));
    // Assess
    expect(expectProblem(res, 405, 'method-not-allowed')).toMatchObject({ allow });
    expect(headerOf(res, 'allow')).toBe(allow);
  });

  it('an unknown path is 404 even without an API key', async () => {
    const { api } = await apiFixture();
    expectProblem(await api.handle(apiRequest({ path: '/admin', headers: { 'x-api-key': undefined } })), 404, 'not-found');
  });

  it('checks the API key before the body', async () => {
    const { api } = await apiFixture();
    expectProblem(await api.handle(apiRequest({ headers: { 'x-api-key': undefined, 'content-type': 'text/plain' }, body: '{' })), 401, 'unauthorized');
  });

  // BUG core/api/messages-api.ts line 82: decodeURIComponent throws URIError on a
  // malformed percent-escape in the id segment, so `GET /v1/messages/%` (or %E0%A4%A)
  // throws out of handle() — before authentication — and the Lambda answers 503
  // "retry it" for bad input, against "Invalid input always ends in a 4xx".
  it.each(['/v1/messages/%', '/v1/messages/%E0%A4%A'])('a malformed escape in %s is a 4xx, not an exception', async (path) => {
    const { api } = await apiFixture();
    const res = await api.handle(apiRequest({ method: 'GET', path, body: null }));
    expect(res.statusCode).toBe(404);
  });
});

describe('GET /v1/messages/{id}', () => {
  it('answers 200 with the public view: status history, no text', async () => {
    // Prepare: the message as the router, worker and receipts left it.
    const { api, messages } = await apiFixture();
    const created = bodyOf(await api.handle(apiRequest({ body: submissionBody({ from: 'ACME', reference: 'order-42', callbackUrl: 'https://example.com/cb' }) })));
    const later = { ...completeMessageRecord(), id: created.id, tenantId: 'acme' };
    messages.put(later);
    // Act
    const res = await api.handle(apiRequest({ method: 'GET', path: `/v1/messages/${created.id}`, body: null }));
    // Assess
    expect(res.statusCode).toBe(200);
    expect(headerOf(res, 'content-type')).toBe('application/json');
    const view = bodyOf(res);
    expect(view).toEqual({
      id: created.id,
      status: 'DELIVERED',
      to: later.to,
      from: 'ACME',
      reference: 'order-42',
      type: 'transactional',
      encoding: 'GSM7',
      segments: 2,
      price: 0.08,
      currency: 'EUR',
      attempt: 1,
      carrierId: 'c-a',
      reason: 'receipt DELIVRD',
      smscIds: ['5f1c0a', '5f1c0b'],
      submittedAt: '2025-03-01T12:00:02.000Z',
      receipt: later.receipt,
      createdAt: later.createdAt,
      updatedAt: later.updatedAt,
      validUntil: later.validUntil,
      sendAt: later.sendAt,
      history: later.history,
    });
    expect(view.history.map((h: { status: string }) => h.status)).toEqual(['ACCEPTED', 'SUBMITTED', 'DELIVERED']);
    for (const hidden of ['text', 'tenantId', 'requestHash', 'callbackUrl', 'country']) expect(view).not.toHaveProperty(hidden);
  });

  it('a just-accepted message shows it routed at acceptance: ACCEPTED and ROUTED, with the carrier', async () => {
    const { api } = await apiFixture();
    const { id } = bodyOf(await api.handle(apiRequest()));
    const view = bodyOf(await api.handle(apiRequest({ method: 'GET', path: `/v1/messages/${id}`, body: null })));
    expect(view).toMatchObject({
      id,
      status: 'ROUTED',
      attempt: 1,
      carrierId: 'c-a',
      history: [
        { status: 'ACCEPTED', at: NOW.toISOString() },
        { status: 'ROUTED', at: NOW.toISOString(), carrierId: 'c-a', attempt: 1 },
      ],
    });
    expect(view).not.toHaveProperty('text');
  });

  it('a just-accepted message no route takes shows one ACCEPTED history entry', async () => {
    const { api } = await apiFixture({ routes: [{ id: 'uk', kind: 'static', match: { prefix: ['+4474'] }, carrier: 'c-a' }] });
    const { id } = bodyOf(await api.handle(apiRequest({ body: submissionBody({ to: MOBILE.GB_OTHER }) })));
    const view = bodyOf(await api.handle(apiRequest({ method: 'GET', path: `/v1/messages/${id}`, body: null })));
    expect(view).toMatchObject({ id, status: 'ACCEPTED', attempt: 0, history: [{ status: 'ACCEPTED', at: NOW.toISOString() }] });
  });

  it('another tenant’s message is a 404, indistinguishable from a missing one', async () => {
    // Prepare
    const { api } = await apiFixture();
    const { id } = bodyOf(await api.handle(apiRequest()));
    const missingId = '00000000-0000-8000-8000-000000000000';
    // Act
    const foreign = await api.handle(apiRequest({ method: 'GET', path: `/v1/messages/${id}`, headers: { 'x-api-key': API_KEYS.globex }, body: null }));
    const missing = await api.handle(apiRequest({ method: 'GET', path: `/v1/messages/${missingId}`, headers: { 'x-api-key': API_KEYS.globex }, body: null }));
    // Assess
    const a = expectProblem(foreign, 404, 'not-found');
    const b = expectProblem(missing, 404, 'not-found');
    expect(a.detail.replace(id, '<id>')).toBe(b.detail.replace(missingId, '<id>'));
  });

  it('an id that is not a UUID is a 404 without reading the table', async () => {
    const { api } = await apiFixture();
    expectProblem(await api.handle(apiRequest({ method: 'GET', path: '/v1/messages/not-a-uuid', body: null })), 404, 'not-found');
  });

  it('needs an API key', async () => {
    const { api } = await apiFixture();
    const { id } = bodyOf(await api.handle(apiRequest()));
    expectProblem(await api.handle(apiRequest({ method: 'GET', path: `/v1/messages/${id}`, headers: { 'x-api-key': undefined }, body: null })), 401, 'unauthorized');
  });

  it('publicView leaves out text and internal fields', () => {
    const view = publicView(messageRecord({ requestHash: 'h', callbackUrl: 'https://example.com' }));
    expect(Object.keys(view)).not.toEqual(expect.arrayContaining(['text']));
    expect(view).not.toHaveProperty('requestHash');
  });
});

describe('Idempotency-Key', () => {
  it('a replay returns the same id and stores once', async () => {
    // Prepare
    const { api, messages, logs } = await apiFixture();
    const req = apiRequest({ headers: { 'idempotency-key': 'order-42-sms' } });
    // Act
    const first = await api.handle(req);
    const second = await api.handle(req);
    // Assess
    expect([first.statusCode, second.statusCode]).toEqual([202, 202]);
    expect(bodyOf(second)).toEqual(bodyOf(first));
    expect(bodyOf(first).id).toBe(messageId('acme', 'order-42-sms'));
    expect(headerOf(second, 'location')).toBe(headerOf(first, 'location'));
    expect(headerOf(second, 'idempotent-replayed')).toBe('true');
    expect(messages.size).toBe(1);
    expect(logs.map((l) => l.event)).toEqual(['MESSAGE_ACCEPTED', 'MESSAGE_REPLAYED']);
  });

  it('the same body with other key order and spacing is the same request', async () => {
    // Prepare
    const { api, messages } = await apiFixture();
    const headers = { 'idempotency-key': 'k-1' };
    // Act
    const first = await api.handle(apiRequest({ headers, body: `{"to":"${MOBILE.GB}","text":"hi"}` }));
    const second = await api.handle(apiRequest({ headers, body: `{ "text": "hi",\n  "to": "${MOBILE.GB}" }` }));
    // Assess
    expect(second.statusCode).toBe(202);
    expect(bodyOf(second).id).toBe(bodyOf(first).id);
    expect(messages.size).toBe(1);
  });

  it('a replay answers the first result even after the message moved on', async () => {
    // Prepare
    const { api, messages } = await apiFixture();
    const req = apiRequest({ headers: { 'idempotency-key': 'k-2' } });
    const { id } = bodyOf(await api.handle(req));
    messages.put({ ...(await messages.get(id))!, status: 'DELIVERED' });
    // Act
    const replay = await api.handle(req);
    // Assess
    expect(bodyOf(replay)).toMatchObject({ id, status: 'ACCEPTED' });
  });

  it('the same key with another body → 422 idempotency-key-reused, first message untouched', async () => {
    // Prepare
    const { api, messages } = await apiFixture();
    const headers = { 'idempotency-key': 'k-3' };
    await api.handle(apiRequest({ headers, body: submissionBody({ text: 'first' }) }));
    // Act
    const res = await api.handle(apiRequest({ headers, body: submissionBody({ text: 'second' }) }));
    // Assess
    const problem = expectProblem(res, 422, 'idempotency-key-reused');
    expect(problem.errors).toEqual([{ field: 'Idempotency-Key', problem: 'already used with a different request body' }]);
    expect(messages.all().map((m) => m.text)).toEqual(['first']);
  });

  it('keys are per tenant: the same key from another tenant is a new message', async () => {
    const { api, messages } = await apiFixture();
    const a = await api.handle(apiRequest({ headers: { 'idempotency-key': 'shared' } }));
    const b = await api.handle(apiRequest({ headers: { 'idempotency-key': 'shared', 'x-api-key': API_KEYS.globex } }));
    expect([a.statusCode, b.statusCode]).toEqual([202, 202]);
    expect(bodyOf(a).id).not.toBe(bodyOf(b).id);
    expect(messages.size).toBe(2);
  });

  it('without a key every request is a new message', async () => {
    const { api, messages } = await apiFixture();
    await api.handle(apiRequest());
    await api.handle(apiRequest());
    expect(messages.size).toBe(2);
  });

  it.each([
    { name: 'empty', key: '' },
    { name: 'with a space', key: 'order 42' },
    { name: 'non-ASCII', key: 'заказ-42' },
    { name: '256 characters', key: 'k'.repeat(256) },
    { name: 'a control character', key: 'k\t1' },
  ])('an invalid key ($name) → 400 naming Idempotency-Key, nothing stored', async ({ key }) => {
    // Prepare
    const { api, messages } = await apiFixture();
    // Act
    const single = await api.handle(apiRequest({ headers: { 'idempotency-key': key } }));
    const batch = await api.handle(apiRequest({ path: '/v1/messages/batch', headers: { 'idempotency-key': key }, body: batchBody([submissionBody()]) }));
    // Assess
    for (const res of [single, batch]) {
      expect(expectProblem(res, 400, 'validation-failed').errors).toEqual([{ field: 'Idempotency-Key', problem: 'must be 1-255 printable ASCII characters without spaces' }]);
    }
    expect(messages.size).toBe(0);
  });

  it('accepts a 255-character key of printable ASCII', () => {
    expect(IDEMPOTENCY_KEY_PATTERN.test('~'.repeat(255))).toBe(true);
  });

  it('messageId is derived from tenant, key and position, and random without key', () => {
    expect(messageId('acme', 'k', 0)).toBe(messageId('acme', 'k'));
    expect(messageId('acme', 'k', 1)).not.toBe(messageId('acme', 'k', 0));
    expect(messageId('globex', 'k')).not.toBe(messageId('acme', 'k'));
    expect(messageId('acme', undefined)).not.toBe(messageId('acme', undefined));
    expect(messageId('acme', 'k')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('canonicalJson sorts keys at every depth and drops undefined', () => {
    expect(canonicalJson({ b: [{ d: 1, c: 2 }], a: undefined, e: null })).toBe('{"b":[{"c":2,"d":1}],"e":null}');
  });
});

describe('POST /v1/messages/batch', () => {
  const path = '/v1/messages/batch';

  it('mixed valid and invalid messages → 202 with an outcome per message; only valid ones stored', async () => {
    // Prepare
    const { api, messages } = await apiFixture();
    const body = batchBody([submissionBody(), submissionBody({ to: LANDLINE_GB, priority: 1 }), submissionBody({ to: MOBILE.DE, text: 'Grüße 😀' })]);
    // Act
    const res = await api.handle(apiRequest({ path, body }));
    // Assess
    expect(res.statusCode).toBe(202);
    expect(headerOf(res, 'content-type')).toBe('application/json');
    const result = bodyOf(res);
    expect(result).toEqual({
      accepted: 2,
      rejected: 1,
      results: [
        { index: 0, outcome: 'accepted', id: expect.stringMatching(UUID), status: 'ACCEPTED', encoding: 'GSM7', segments: 1 },
        { index: 1, outcome: 'rejected', type: 'validation-failed', errors: [{ field: 'messages[1].priority', problem: 'unknown field' }] },
        { index: 2, outcome: 'accepted', id: expect.stringMatching(UUID), status: 'ACCEPTED', encoding: 'UCS2', segments: 1 },
      ],
    });
    expect(messages.all().map((m) => m.id).sort()).toEqual([result.results[0].id, result.results[2].id].sort());
  });

  it('names the field of a rejected message by its position', async () => {
    const { api } = await apiFixture();
    const res = await api.handle(apiRequest({ path, body: batchBody([submissionBody(), submissionBody({ from: 'AC$ME' })]) }));
    expect(bodyOf(res).results[1].errors).toEqual([{ field: 'messages[1].from', problem: expect.stringMatching(/sender id/) }]);
  });

  it('every message invalid → 422 with the per-message outcomes, nothing stored', async () => {
    // Prepare
    const { api, messages } = await apiFixture();
    // Act
    const res = await api.handle(apiRequest({ path, body: batchBody([submissionBody({ to: LANDLINE_GB }), 'not an object']) }));
    // Assess
    expect(res.statusCode).toBe(422);
    const result = bodyOf(res);
    expect(result).toMatchObject({ accepted: 0, rejected: 2 });
    expect(result.results.map((r: { errors: { field: string }[] }) => r.errors[0]!.field)).toEqual(['messages[0].to', 'messages[1]']);
    expect(messages.size).toBe(0);
  });

  it('more messages than maxBatchSize → 422 naming messages and the limit', async () => {
    // Prepare
    const { api, messages } = await apiFixture({ limits: { maxBatchSize: 3 } });
    // Act
    const res = await api.handle(apiRequest({ path, body: batchBody(Array.from({ length: 4 }, () => submissionBody())) }));
    // Assess
    expect(expectProblem(res, 422, 'validation-failed').errors).toEqual([{ field: 'messages', problem: 'a batch holds at most 3 messages, got 4' }]);
    expect(messages.size).toBe(0);
  });

  it('exactly maxBatchSize messages are accepted', async () => {
    const { api, messages } = await apiFixture({ limits: { maxBatchSize: 3 } });
    const res = await api.handle(apiRequest({ path, body: batchBody(Array.from({ length: 3 }, () => submissionBody())) }));
    expect(res.statusCode).toBe(202);
    expect(messages.size).toBe(3);
  });

  it('routes each message at acceptance, each by its destination, with one health read for the batch', async () => {
    // Prepare: count the health reads
    const { api, messages, accepted } = await apiFixture();
    const reads = vi.spyOn((api as unknown as { deps: { health: () => Promise<unknown> } }).deps, 'health');
    // Act
    const res = await api.handle(apiRequest({ path, body: batchBody([submissionBody(), submissionBody({ to: MOBILE.DE }), submissionBody({ to: MOBILE.US })]) }));
    // Assess
    expect(res.statusCode).toBe(202);
    const byId = new Map(messages.all().map((m) => [m.id, m]));
    expect(bodyOf(res).results.map((r: { id: string }) => [byId.get(r.id)!.status, byId.get(r.id)!.carrierId])).toEqual([
      ['ROUTED', 'c-a'],
      ['ROUTED', 'c-b'],
      ['ROUTED', 'c-a'],
    ]);
    expect(accepted.map((a) => a.route?.routeId)).toEqual(['uk', 'de', 'everything-else']);
    expect(reads).toHaveBeenCalledTimes(1);
  });

  it('logs one info line for the batch, each message at debug', async () => {
    // Prepare
    const { api, logs } = await apiFixture();
    // Act
    await api.handle(apiRequest({ path, body: batchBody([submissionBody(), submissionBody({ to: LANDLINE_GB }), submissionBody({ text: 'ж'.repeat(71) })]) }));
    // Assess
    expect(logs.filter((l) => l.level !== 'debug')).toEqual([
      { event: 'BATCH_ACCEPTED', level: 'info', data: { tenantId: 'acme', messages: 3, accepted: 2, rejected: 1, replayed: 0, routed: 2, optedOut: 0, segments: 3 } },
    ]);
    expect(logs.filter((l) => l.level === 'debug').map((l) => l.event)).toEqual(['MESSAGE_ACCEPTED', 'MESSAGE_ACCEPTED']);
  });

  it('keeps the batch\'s request hash on each message only with an Idempotency-Key', async () => {
    const { api, messages } = await apiFixture();
    const body = batchBody([submissionBody({ text: 'a' }), submissionBody({ text: 'b' })]);
    await api.handle(apiRequest({ path, body }));
    await api.handle(apiRequest({ path, body, headers: { 'idempotency-key': 'batch-hash' } }));
    const hashes = messages.all().map((m) => [m.text, m.requestHash]);
    const hash = requestHash('POST /v1/messages/batch', body);
    expect(hashes).toEqual(expect.arrayContaining([['a', undefined], ['b', undefined], ['a', hash], ['b', hash]]));
    expect(hashes).toHaveLength(4);
  });

  it.each([
    { name: 'no messages', body: batchBody([]), field: 'messages' },
    { name: 'messages not an array', body: { messages: submissionBody() }, field: 'messages' },
    { name: 'a bare array', body: [submissionBody()], field: '(body)' },
    { name: 'an unknown top-level field', body: { ...batchBody([submissionBody()]), dryRun: true }, field: 'dryRun' },
  ])('$name → 422 naming $field', async ({ body, field }) => {
    const { api, messages } = await apiFixture();
    const res = await api.handle(apiRequest({ path, body }));
    expect(expectProblem(res, 422, 'validation-failed').errors.map((e: { field: string }) => e.field)).toEqual([field]);
    expect(messages.size).toBe(0);
  });

  it('a replay with the same Idempotency-Key returns the same ids and stores nothing new', async () => {
    // Prepare
    const { api, messages } = await apiFixture();
    const req = apiRequest({ path, headers: { 'idempotency-key': 'batch-7' }, body: batchBody([submissionBody(), submissionBody({ to: MOBILE.DE })]) });
    // Act
    const first = await api.handle(req);
    const second = await api.handle(req);
    // Assess
    expect([first.statusCode, second.statusCode]).toEqual([202, 202]);
    expect(bodyOf(second)).toEqual(bodyOf(first));
    expect(bodyOf(first).results.map((r: { id: string }) => r.id)).toEqual([messageId('acme', 'batch-7', 0), messageId('acme', 'batch-7', 1)]);
    expect(messages.size).toBe(2);
  });

  it('the same key with another batch → 422 idempotency-key-reused', async () => {
    const { api, messages } = await apiFixture();
    const headers = { 'idempotency-key': 'batch-8' };
    await api.handle(apiRequest({ path, headers, body: batchBody([submissionBody({ text: 'one' })]) }));
    const res = await api.handle(apiRequest({ path, headers, body: batchBody([submissionBody({ text: 'two' })]) }));
    expectProblem(res, 422, 'idempotency-key-reused');
    expect(messages.all().map((m) => m.text)).toEqual(['one']);
  });

  // BUG core/api/messages-api.ts lines 230-237 (submitBatch): items are stored one by
  // one and the reuse check comes after all of them. A second, longer batch under the
  // same key collides at the old positions (reused) but creates the new positions, so
  // the answer is 422 idempotency-key-reused while messages[1] was stored — and the
  // outbox will send it. Same with a key first used on POST /v1/messages (position 0).
  it('a reused key stores nothing from the new batch', async () => {
    // Prepare
    const { api, messages } = await apiFixture();
    const headers = { 'idempotency-key': 'batch-9' };
    await api.handle(apiRequest({ path, headers, body: batchBody([submissionBody({ text: 'one' })]) }));
    // Act
    const res = await api.handle(apiRequest({ path, headers, body: batchBody([submissionBody({ text: 'two' }), submissionBody({ text: 'three' })]) }));
    // Assess
    expect(res.statusCode).toBe(422);
    expect(messages.all().map((m) => m.text)).toEqual(['one']);
  });

  it('dryRun=true answers 200 with the route of each message and stores nothing', async () => {
    // Prepare
    const { api, messages } = await apiFixture();
    // Act
    const res = await api.handle(apiRequest({ path, query: { dryRun: 'true' }, body: batchBody([submissionBody({ to: MOBILE.DE }), submissionBody({ text: '' })]) }));
    // Assess
    expect(res.statusCode).toBe(200);
    expect(bodyOf(res)).toEqual({
      accepted: 0,
      rejected: 1,
      results: [
        {
          index: 0,
          outcome: 'dry-run',
          dryRun: true,
          encoding: 'GSM7',
          segments: 1,
          to: MOBILE.DE,
          country: 'DE',
          route: { outcome: 'routed', routeId: 'de', carrierId: 'c-b', reason: 'route "de" matched country DE; static carrier', skippedCarriers: [] },
        },
        { index: 1, outcome: 'rejected', type: 'validation-failed', errors: [{ field: 'messages[1].text', problem: 'text must not be empty' }] },
      ],
    });
    expect(messages.createCalls).toBe(0);
  });
});

// ------------------------------------------------------------------------ fuzz

/** A random JSON value, leaning towards submission-shaped objects so deep paths are reached. */
function randomJson(random: () => number, depth = 0): unknown {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const kind = depth > 3 ? pick(['scalar', 'string']) : pick(['scalar', 'string', 'array', 'object', 'submission', 'submission', 'batch']);
  switch (kind) {
    case 'scalar':
      return pick([null, true, false, 0, -1, 1.5, 1e308, -0, 60, 604_800, 604_801, Number.MAX_SAFE_INTEGER]);
    case 'string':
      return randomString(random);
    case 'array':
      return Array.from({ length: Math.floor(random() * 4) }, () => randomJson(random, depth + 1));
    case 'object': {
      const out: Record<string, unknown> = {};
      for (let i = Math.floor(random() * 4); i > 0; i--) out[pick(['to', 'text', 'messages', '__proto__', 'constructor', '', randomString(random)])] = randomJson(random, depth + 1);
      return out;
    }
    case 'batch':
      return { messages: Array.from({ length: Math.floor(random() * 4) }, () => randomJson(random, depth + 1)) };
    default: {
      // [chance the field is present, valid values, invalid values]
      const fields: Record<string, [number, readonly unknown[], readonly unknown[]]> = {
        to: [0.95, [MOBILE.GB, MOBILE.DE, MOBILE.US], [LANDLINE_GB, '+', '', '+999999999999999', 447400123456]],
        text: [0.95, ['hi', 'ж'.repeat(71), '😀'.repeat(40), '\ud800'], ['', 'a'.repeat(1601), []]],
        from: [0.3, ['ACME', '+447400123456'], ['ABCDEFGHIJKL', '1234567890123456', 'A$', '', 5]],
        reference: [0.2, ['r'], ['', 'r'.repeat(129)]],
        callbackUrl: [0.2, ['https://example.com/cb'], ['javascript:alert(1)', 'http://', 'x']],
        validitySeconds: [0.2, [60, 604_800], [59, 604_801, 60.5, '60', null]],
        type: [0.2, ['transactional', 'promotional'], ['bulk']],
      };
      const out: Record<string, unknown> = {};
      for (const [field, [present, valid, invalid]] of Object.entries(fields)) {
        if (random() >= present) continue;
        const r = random();
        out[field] = r < 0.7 ? pick(valid) : r < 0.95 ? pick(invalid) : randomJson(random, depth + 1);
      }
      return out;
    }
  }
}

function randomString(random: () => number): string {
  const alphabet = ['a', 'Z', '0', '+', ' ', '"', '\\', '{', '}', '[', ']', ':', ',', 'ж', '€', '😀', '\u0000', '\n', '\ud83d', '%'];
  return Array.from({ length: Math.floor(random() * 24) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
}

describe('fuzz: random bodies never produce a 5xx and never store unless 202', () => {
  it('200 random bodies to both POST resources', async () => {
    // Prepare
    const random = seededRandom(20250301);
    const { api, messages } = await apiFixture();
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) {
      const value = randomJson(random);
      const raw = random() < 0.25 ? randomString(random) : random() < 0.1 ? JSON.stringify(value).slice(0, -1) : JSON.stringify(value);
      const req = apiRequest({
        path: random() < 0.5 ? '/v1/messages' : '/v1/messages/batch',
        body: raw ?? null,
        query: random() < 0.2 ? { dryRun: 'true' } : {},
        headers: random() < 0.2 ? { 'idempotency-key': `fuzz-${Math.floor(random() * 5)}` } : {},
      });
      const before = messages.size;
      // Act
      const res = await api.handle(req);
      // Assess
      seen.add(res.statusCode);
      const context = `request ${i}: ${JSON.stringify(req.body)?.slice(0, 200)} → ${res.statusCode} ${res.body.slice(0, 200)}`;
      expect(res.statusCode, context).toBeLessThan(500);
      expect(() => JSON.parse(res.body), context).not.toThrow();
      if (res.statusCode !== 202) expect(messages.size, context).toBe(before);
      if (res.statusCode >= 400 && !(res.statusCode === 422 && req.path.endsWith('/batch') && 'results' in bodyOf(res))) {
        expect(headerOf(res, 'content-type'), context).toBe('application/problem+json');
      }
    }
    // The corpus reaches the interesting answers, not only 400s.
    expect([...seen].sort()).toEqual(expect.arrayContaining([200, 202, 400, 422]));
  });
});

describe('DELETE /v1/messages/{id}', () => {
  it.each(['ACCEPTED', 'SCHEDULED', 'ROUTED', 'RETRYING'] as const)('cancels a %s message', async (status) => {
    // Prepare
    const { api, messages } = await apiFixture();
    const record = messageRecord({ status });
    messages.put(record);
    // Act
    const res = await api.handle(apiRequest({ method: 'DELETE', path: `/v1/messages/${record.id}`, body: null }));
    // Assess
    expect(res.statusCode).toBe(200);
    expect(bodyOf(res)).toMatchObject({ id: record.id, status: 'CANCELED', reason: 'canceled_by_client' });
    expect((await messages.get(record.id))!.status).toBe('CANCELED');
  });

  it('answers 200 again for a message already canceled', async () => {
    const { api, messages } = await apiFixture();
    const record = messageRecord({ status: 'CANCELED' });
    messages.put(record);
    const res = await api.handle(apiRequest({ method: 'DELETE', path: `/v1/messages/${record.id}`, body: null }));
    expect(res.statusCode).toBe(200);
  });

  it.each(['SUBMITTED', 'DELIVERED', 'FAILED'] as const)('refuses with 409 once the message is %s', async (status) => {
    const { api, messages } = await apiFixture();
    const record = messageRecord({ status });
    messages.put(record);
    const res = await api.handle(apiRequest({ method: 'DELETE', path: `/v1/messages/${record.id}`, body: null }));
    expect(expectProblem(res, 409, 'conflict')).toMatchObject({ messageStatus: status });
    expect((await messages.get(record.id))!.status).toBe(status);
  });

  it("is a 404 for another tenant's message, which stays as it is", async () => {
    const { api, messages } = await apiFixture();
    const record = messageRecord({ tenantId: 'globex' });
    messages.put(record);
    const res = await api.handle(apiRequest({ method: 'DELETE', path: `/v1/messages/${record.id}`, body: null }));
    expectProblem(res, 404, 'not-found');
    expect((await messages.get(record.id))!.status).toBe('ACCEPTED');
  });
});

describe('callback URLs', () => {
  it.each([
    ['http://example.com/hook', 'https'],
    ['https://10.0.0.7/hook', 'private'],
    ['https://169.254.169.254/latest/meta-data', 'link-local'],
    ['https://localhost/hook', 'localhost'],
  ])('refuses %s under the AWS rules, naming the field, and stores nothing', async (callbackUrl, why) => {
    const { api, messages } = await apiFixture();
    const res = await api.handle(apiRequest({ body: submissionBody({ callbackUrl }) }));
    const problem = expectProblem(res, 422, 'validation-failed');
    expect(problem.errors[0].field).toBe('callbackUrl');
    expect(problem.errors[0].problem.toLowerCase()).toMatch(new RegExp(why === 'https' ? 'https' : why === 'localhost' ? 'localhost|internal|private' : 'private|link-local|address'));
    expect(messages.size).toBe(0);
  });

  it('accepts a loopback http receiver under the emulator rules', async () => {
    const { messages } = await apiFixture();
    const local = new MessagesApi({ config: { ...(await runtimeConfigFor()), callbackUrls: { allowHttp: true, allowPrivate: true } }, apiUrl: TEST_API_URL, messages, list: messages, requests: new InMemoryRequestCounter(), pumping: new InMemoryPumpingCounter(), optOuts: new InMemoryOptOutRepository(), inbound: new InMemoryInboundRepository(), usage: new InMemoryUsageCounter(), health: async () => () => true });
    const res = await local.handle(apiRequest({ body: submissionBody({ callbackUrl: 'http://127.0.0.1:8080/hook' }) }));
    expect(res.statusCode).toBe(202);
  });
});

describe('per-tenant rate limit (rateLimitPerSecond, one-second windows)', () => {
  const asInitech = (overrides: Parameters<typeof apiRequest>[0] = {}) => apiRequest({ ...overrides, headers: { 'x-api-key': API_KEYS.initech, ...overrides.headers } });

  it('answers 429 with Retry-After once the tenant has used its requests for the second, and stores nothing', async () => {
    // Prepare: initech may make 2 requests per second
    const { api, messages, logs } = await apiFixture();
    // Act
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await api.handle(asInitech()));
    // Assess
    expect(answers.map((r) => r.statusCode)).toEqual([202, 202, 429, 429]);
    const problem = expectProblem(answers[2]!, 429, 'rate-limited');
    expect(problem.limit).toBe(2);
    expect(problem.detail).toBe('tenant initech may send 2 requests per second and has used them for this second; retry after 1 second');
    expect(headerOf(answers[2]!, 'retry-after')).toBe('1');
    expect(messages.size).toBe(2);
    expect(logs.filter((l) => l.event === 'REQUEST_REJECTED').map((l) => l.data)).toEqual([
      { reason: 'rate-limited', tenantId: 'initech', path: '/v1/messages', limit: 2 },
      { reason: 'rate-limited', tenantId: 'initech', path: '/v1/messages', limit: 2 },
    ]);
  });

  it('counts every authenticated request (reads, cancels, invalid bodies, batches as one) and no unauthenticated one', async () => {
    // Prepare
    const { api, requests } = await apiFixture();
    // Act: two requests the API refuses for other reasons still use the tenant's share
    await api.handle(asInitech({ body: '{' }));
    await api.handle(asInitech({ method: 'GET', path: '/v1/messages/00000000-0000-8000-8000-000000000000', body: null }));
    const unauthenticated = await api.handle(apiRequest({ headers: { 'x-api-key': 'not-a-key-of-anyone' } }));
    const third = await api.handle(asInitech({ path: '/v1/messages/batch', body: { messages: [submissionBody()] } }));
    // Assess
    expect(unauthenticated.statusCode).toBe(401);
    expect(third.statusCode).toBe(429);
    expect([...requests.counts]).toEqual([[`initech#${NOW.getTime() / 1000}`, 2]]);
  });

  it('starts afresh in the next second', async () => {
    // Prepare
    const { api, clock } = await apiFixture();
    await api.handle(asInitech());
    await api.handle(asInitech());
    expect((await api.handle(asInitech())).statusCode).toBe(429);
    // Act
    clock.now = new Date(NOW.getTime() + 1000);
    // Assess
    expect((await api.handle(asInitech())).statusCode).toBe(202);
  });

  it('limits each tenant on its own: one tenant at its limit does not slow another', async () => {
    // Prepare
    const { api } = await apiFixture();
    for (let i = 0; i < 3; i++) await api.handle(asInitech());
    // Act
    const acme = await api.handle(apiRequest());
    // Assess
    expect(acme.statusCode).toBe(202);
  });

  it('answers 429 on every operation, before its other checks', async () => {
    // Prepare
    const { api } = await apiFixture();
    await api.handle(asInitech());
    await api.handle(asInitech());
    // Act
    const answers = await Promise.all([
      api.handle(asInitech({ headers: { 'content-type': 'text/plain' } })),
      api.handle(asInitech({ path: '/v1/messages/batch', body: '[' })),
      api.handle(asInitech({ method: 'GET', path: '/v1/messages/nope', body: null })),
      api.handle(asInitech({ method: 'DELETE', path: '/v1/messages/nope', body: null })),
    ]);
    // Assess
    for (const res of answers) expectProblem(res, 429, 'rate-limited');
  });

  it('a failing counter is an error of the request (503 from the Lambda wrapper), not a free pass', async () => {
    // Prepare
    const { messages } = await apiFixture();
    const api = new MessagesApi({ config: await runtimeConfigFor(), apiUrl: TEST_API_URL, messages, list: messages, requests: { tryCount: () => Promise.reject(new Error('table unavailable')) }, pumping: new InMemoryPumpingCounter(), optOuts: new InMemoryOptOutRepository(), inbound: new InMemoryInboundRepository(), usage: new InMemoryUsageCounter(), health: async () => () => true });
    // Act / Assess
    await expect(api.handle(apiRequest())).rejects.toThrow('table unavailable');
    expect(messages.size).toBe(0);
  });
});
