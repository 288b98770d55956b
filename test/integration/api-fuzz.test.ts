/**
 * The API's fuzzing property on the deployed stack (a smaller sample than the
 * in-process tests: each request crosses the emulator's API Gateway and Lambda):
 * every bad request is answered with a 4xx problem naming the field at fault,
 * never a 5xx, and stores nothing — counted in the message table itself, before and after. And the
 * `type` of a problem is a page the API serves.
 */
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { acceptedBy, answerProblems, BAD_REQUEST_KINDS, type FuzzRequest } from '../support/bad-requests';
import { clients, outputs, useLocalAws } from '../support/local';

/** Message records in the table (every kind of item shares it). */
async function storedMessages(): Promise<number> {
  const { dynamo } = clients();
  let count = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await dynamo.send(
      new ScanCommand({ TableName: outputs().tableName, FilterExpression: 'kind = :m', ExpressionAttributeValues: { ':m': 'message' }, Select: 'COUNT', ...(startKey ? { ExclusiveStartKey: startKey } : {}) }),
    );
    count += page.Count ?? 0;
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return count;
}

async function send(req: FuzzRequest): Promise<{ status: number; contentType: string | undefined; body: string }> {
  const out = outputs();
  const query = new URLSearchParams(req.query).toString();
  const res = await fetch(`${out.apiUrl}${req.path}${query ? `?${query}` : ''}`, {
    method: req.method,
    headers: { 'x-api-key': out.apiKey, ...(req.contentType !== undefined ? { 'content-type': req.contentType } : {}) },
    ...(req.body !== null ? { body: req.body } : {}),
  });
  return { status: res.status, contentType: res.headers.get('content-type') ?? undefined, body: await res.text() };
}

beforeAll(() => {
  useLocalAws();
});

describe('the deployed API answers bad requests with a 4xx problem naming the field, and stores nothing', () => {
  // A few of each kind, drawn anew every run.
  const sample = BAD_REQUEST_KINDS.flatMap(({ arbitrary }) => fc.sample(arbitrary, 8));

  it(`holds for ${sample.length} requests of ${BAD_REQUEST_KINDS.length} kinds`, async () => {
    // The table is counted once before and once after the sample (a count is a scan of the whole
    // table, which grows run after run): every answer is judged on its own, and together they
    // must have stored exactly the messages they say were accepted.
    const wrong: string[] = [];
    let accepted = 0;
    const before = await storedMessages();
    for (const req of sample) {
      const res = await send(req);
      accepted += acceptedBy(req, res);
      const problems = answerProblems(req, res, acceptedBy(req, res));
      if (problems.length > 0) wrong.push(`${fc.stringify(req)} → ${res.status}: ${problems.join('; ')}`);
    }
    expect(wrong).toEqual([]);
    expect((await storedMessages()) - before, 'messages stored by the sample, against those its answers accepted').toBe(accepted);
  });

  it('gives problems a type URI that is a page of the API, for a browser and as JSON', async () => {
    const res = await send({ name: 'empty body', method: 'POST', path: '/v1/messages', contentType: 'application/json', query: {}, body: '', expect: 'rejected' });
    const type = (JSON.parse(res.body) as { type: string }).type;
    expect(type).toBe(`${outputs().apiUrl}/problems/invalid-json`);
    const page = await fetch(type);
    expect([page.status, page.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
    expect(await page.text()).toContain('The request body is not valid JSON');
    const doc = await fetch(type, { headers: { accept: 'application/json' } });
    expect(await doc.json()).toMatchObject({ type, name: 'invalid-json', statuses: [400] });
  });
});
