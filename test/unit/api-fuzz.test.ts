/**
 * Property-based fuzzing of the API in-process: for every request of
 * test/support/bad-requests.ts, the answer is a 4xx application/problem+json
 * naming the field at fault (or, where the request may be valid, the documented
 * 2xx), never a 5xx or a thrown error (which the Lambda would turn into a 503),
 * and a refused request stores nothing. FUZZ_SCALE=20 runs twenty times as many cases.
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { answerProblems, BAD_REQUEST_KINDS, badRequests, type FuzzRequest } from '../support/bad-requests';
import { API_KEYS, apiFixture, headerOf, TEST_API_URL, type ApiFixture } from '../support/factories';

describe('the API answers every bad request with a 4xx problem naming the field, and stores nothing', () => {
  let f: ApiFixture;

  beforeAll(async () => {
    f = await apiFixture();
  });

  /** One request as acme, each in a second of its own (the tenant's rate limit stays out of the way). */
  async function send(req: FuzzRequest): Promise<{ res: APIGatewayProxyResult; stored: number }> {
    f.clock.now = new Date(f.clock.now.getTime() + 1000);
    const before = f.messages.size;
    const res = await f.api.handle({
      method: req.method,
      path: req.path,
      headers: { 'x-api-key': API_KEYS.acme, ...(req.contentType !== undefined ? { 'content-type': req.contentType } : {}) },
      query: req.query,
      body: req.body,
    });
    return { res, stored: f.messages.size - before };
  }

  async function holds(req: FuzzRequest): Promise<void> {
    const { res, stored } = await send(req);
    const wrong = answerProblems(req, { status: res.statusCode, contentType: headerOf(res, 'content-type'), body: res.body }, stored);
    expect(wrong, `${req.name} → ${res.statusCode}`).toEqual([]);
  }

  it.each(BAD_REQUEST_KINDS)('$name', async ({ arbitrary, runs }) => {
    await fc.assert(fc.asyncProperty(arbitrary, holds), { numRuns: runs * Number(process.env.FUZZ_SCALE ?? 1) });
  });

  it('every kind mixed, on one table', async () => {
    await fc.assert(fc.asyncProperty(badRequests, holds), { numRuns: 300 * Number(process.env.FUZZ_SCALE ?? 1) });
  });

  it('problem type URIs are the API’s own problem pages', async () => {
    const { res } = await send({ name: 'empty', method: 'POST', path: '/v1/messages', contentType: 'application/json', query: {}, body: '', expect: 'rejected' });
    expect(JSON.parse(res.body).type).toBe(`${TEST_API_URL}/problems/invalid-json`);
  });
});
