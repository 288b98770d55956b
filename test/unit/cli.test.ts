/**
 * The smsgw CLI without a stack: argument parsing, configuration precedence,
 * output formatting, and whole commands against a fake fetch. The `npm run
 * local -- --simulate` parser is here too (same kind of edge: a command line).
 * The commands that need AWS (tail, dlq) run in test/integration/e2e.test.ts.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { apiClient, formatProblem, RATE_LIMIT_TRIES } from '../../cli/api-client';
import { parseCommandLine, UsageError } from '../../cli/command-line';
import { resolveConfig } from '../../cli/config';
import { dlqTargets, findDlq } from '../../cli/dlq-targets';
import { publishedEventsNote } from '../../cli/commands/tail';
import type { Io } from '../../cli/io';
import { main } from '../../cli/main';
import { formatDlqTable, formatEvent, formatMessage } from '../../cli/output';
import type { PartialLocalOutputs } from '../../core/config/local-outputs';
import { controlPort, describeBehaviour, describeWorkerLine, inboundHint, LocalUsageError, localWorkers, MAX_LOCAL_WORKERS, parseSimulateSpecs } from '../../scripts/local';

// ---------------------------------------------------------------- fixtures

const OUTPUTS: PartialLocalOutputs = {
  endpoint: 'http://localhost:4566',
  apiUrl: 'http://localhost:4566/_aws/execute-api/abc/live',
  apiKey: 'file-key',
  ingestQueueUrl: 'http://q/ingest.fifo',
  ingestDlqUrl: 'http://q/ingest-dlq.fifo',
  carrierQueueUrls: { 'sim-b': 'http://q/b.fifo', 'sim-a': 'http://q/a.fifo' },
  carrierDlqUrls: { 'sim-b': 'http://q/b-dlq.fifo', 'sim-a': 'http://q/a-dlq.fifo' },
  raw: { WebhookQueueUrl: 'http://q/webhooks.fifo', WebhookDlqUrl: 'http://q/webhooks-dlq.fifo', OutboxFailuresQueueUrl: 'http://q/outbox-failures' },
};

const DELIVERED = {
  id: '3f0c2a1e-0000-8000-8000-000000000001',
  status: 'DELIVERED',
  to: '+447400123456',
  encoding: 'GSM7',
  segments: 2,
  attempt: 1,
  carrierId: 'sim-a',
  smscIds: ['1000001', '1000002'],
  receipt: { state: 'DELIVERED', receivedAt: '2026-01-01T00:00:02.500Z' },
  createdAt: '2026-01-01T00:00:00.000Z',
  history: [
    { status: 'ACCEPTED', at: '2026-01-01T00:00:00.000Z' },
    { status: 'ROUTED', at: '2026-01-01T00:00:00.400Z', carrierId: 'sim-a', attempt: 1 },
    { status: 'SUBMITTED', at: '2026-01-01T00:00:01.000Z' },
    { status: 'DELIVERED', at: '2026-01-01T00:00:02.500Z', reason: 'DELIVRD' },
  ],
};

function fakeIo(responses: Array<{ status: number; body: unknown; type?: string }>, env: NodeJS.ProcessEnv = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += String(d)));
  stderr.on('data', (d) => (err += String(d)));
  const calls: { url: string; method: string; headers: Record<string, string>; body?: string }[] = [];
  const fetch = (async (url: string, init: RequestInit) => {
    calls.push({ url, method: init.method ?? 'GET', headers: init.headers as Record<string, string>, ...(typeof init.body === 'string' ? { body: init.body } : {}) });
    const next = responses.shift();
    if (!next) throw new Error('no more fake responses');
    return new Response(next.status === 204 ? null : JSON.stringify(next.body), { status: next.status, headers: { 'content-type': next.type ?? 'application/json' } });
  }) as unknown as typeof globalThis.fetch;
  const io: Io = { stdout, stderr, env: { SMSGW_OUTPUTS: '/nonexistent/outputs.json', SMSGW_API_URL: 'http://api.test/live', SMSGW_API_KEY: 'k', ...env }, fetch, interrupted: new Promise(() => undefined) };
  return { io, calls, out: () => out, err: () => err };
}

// ---------------------------------------------------------------- parsing

describe('parseCommandLine', () => {
  it('reads send with its options and the global ones', () => {
    const { command, options } = parseCommandLine(['send', '+447400123456', 'Hello there', '--from', 'ACME', '--wait', '--timeout', '30', '--json', '--api-key', 'k1']);
    expect(command).toEqual({ name: 'send', to: '+447400123456', text: 'Hello there', from: 'ACME', wait: true, timeoutSeconds: 30 });
    expect(options).toEqual({ json: true, apiKey: 'k1' });
  });

  it('reads inbound with its filters and limit, 50 by default, and refuses a limit that is no count', () => {
    expect(parseCommandLine(['inbound']).command).toEqual({ name: 'inbound', limit: 50 });
    expect(parseCommandLine(['inbound', '--from', '+447700900123', '--to', '60100', '--since', '2026-12-01T00:00:00Z', '--limit', '120']).command).toEqual({
      name: 'inbound',
      from: '+447700900123',
      to: '60100',
      since: '2026-12-01T00:00:00Z',
      limit: 120,
    });
    expect(() => parseCommandLine(['inbound', '--limit', 'all'])).toThrow('--limit must be a whole number > 0, got all');
    expect(() => parseCommandLine(['inbound', '--sender', 'ACME'])).toThrow("--sender is not an option of 'inbound'");
  });

  it('reads status, tail with and without an id, dlq list and dlq redrive', () => {
    expect(parseCommandLine(['status', 'abc']).command).toEqual({ name: 'status', id: 'abc' });
    expect(parseCommandLine(['tail']).command).toEqual({ name: 'tail' });
    expect(parseCommandLine(['tail', 'abc']).command).toEqual({ name: 'tail', id: 'abc' });
    expect(parseCommandLine(['dlq', 'list']).command).toEqual({ name: 'dlq-list' });
    expect(parseCommandLine(['usage']).command).toEqual({ name: 'usage' });
    expect(parseCommandLine(['usage', '--from', '2026-12-01', '--group-by', 'status']).command).toEqual({ name: 'usage', from: '2026-12-01', groupBy: 'status' });
    expect(parseCommandLine(['dlq', 'redrive', 'carrier:sim-a']).command).toEqual({ name: 'dlq-redrive', queue: 'carrier:sim-a' });
    expect(parseCommandLine([]).command).toEqual({ name: 'help' });
    expect(parseCommandLine(['send', '--help']).command).toEqual({ name: 'help' });
  });

  it.each([
    [['frobnicate'], "unknown command 'frobnicate' (send, status, list, tail, inbound, opt-outs, usage, dlq)"],
    [['list', '--limit', 'all'], '--limit must be a whole number from 1 to 10000, got all'],
    [['list', '--wait'], "--wait is not an option of 'list'"],
    [['opt-outs'], "'opt-outs' needs a subcommand: list, add or remove"],
    [['opt-outs', 'add'], "'opt-outs add' needs <number>"],
    [['opt-outs', 'list', '--sender', 'ACME'], "--sender is not an option of 'opt-outs list'"],
    [['send', '+447400123456'], "'send' needs <text>"],
    [['status'], "'status' needs <id>"],
    [['status', 'a', 'b'], "'status' takes <id>; got 2: a b"],
    [['status', 'a', '--wait'], "--wait is not an option of 'status'"],
    [['dlq'], "'dlq' needs a subcommand: list or redrive"],
    [['dlq', 'purge'], "unknown dlq subcommand 'purge' (list, redrive)"],
    [['dlq', 'redrive'], "'dlq redrive' needs <queue>"],
    [['send', 'a', 'b', '--timeout', 'soon'], '--timeout must be a number of seconds > 0, got soon'],
  ])('refuses %j: %s', (argv, message) => {
    expect(() => parseCommandLine(argv)).toThrow(new UsageError(message));
  });

  it('reads list with its filters, 20 messages unless --limit', () => {
    expect(parseCommandLine(['list']).command).toEqual({ name: 'list', limit: 20 });
    expect(parseCommandLine(['list', '--to', '+447400123456', '--status', 'FAILED', '--since', '2026-12-01T00:00:00Z', '--limit', '5']).command).toEqual({
      name: 'list', to: '+447400123456', status: 'FAILED', since: '2026-12-01T00:00:00Z', limit: 5,
    });
  });

  it('reads opt-outs list, add and remove, with --sender for add and remove', () => {
    expect(parseCommandLine(['opt-outs', 'list']).command).toEqual({ name: 'opt-outs-list' });
    expect(parseCommandLine(['opt-outs', 'add', '+447400123456']).command).toEqual({ name: 'opt-outs-add', number: '+447400123456' });
    expect(parseCommandLine(['opt-outs', 'remove', '+447400123456', '--sender', 'ACME']).command).toEqual({ name: 'opt-outs-remove', number: '+447400123456', sender: 'ACME' });
  });

  it('refuses unknown options with node:util’s message', () => {
    expect(() => parseCommandLine(['status', 'x', '--colour'])).toThrow(UsageError);
  });
});

describe('resolveConfig', () => {
  const file = (text: string | undefined) => () => text;

  it('prefers flags, then SMSGW_* variables, then the outputs file', () => {
    const json = JSON.stringify(OUTPUTS);
    expect(resolveConfig({ json: false }, {}, file(json))).toMatchObject({ apiUrl: OUTPUTS.apiUrl, apiKey: 'file-key' });
    expect(resolveConfig({ json: false }, { SMSGW_API_URL: 'http://env/', SMSGW_API_KEY: 'env-key' }, file(json))).toMatchObject({ apiUrl: 'http://env', apiKey: 'env-key' });
    expect(resolveConfig({ json: false, apiUrl: 'http://flag', apiKey: 'flag-key' }, { SMSGW_API_URL: 'http://env', SMSGW_API_KEY: 'env-key' }, file(json))).toMatchObject({ apiUrl: 'http://flag', apiKey: 'flag-key' });
  });

  it('works without an outputs file and names a broken one', () => {
    expect(resolveConfig({ json: false }, { SMSGW_API_URL: 'http://env' }, file(undefined))).toMatchObject({ apiUrl: 'http://env', apiKey: undefined, outputs: undefined });
    expect(() => resolveConfig({ json: false, outputs: '/x/outputs.json' }, {}, file('{'))).toThrow('/x/outputs.json is not JSON');
  });
});

// ---------------------------------------------------------------- formatting

describe('formatting', () => {
  it('prints a problem as one line naming the failing fields', () => {
    const body = { type: 'https://…/validation-failed', title: 'The request is not valid', status: 422, detail: '2 fields', errors: [{ field: 'to', problem: 'destination is not a valid mobile number for its country' }, { field: 'text', problem: 'is empty' }] };
    expect(formatProblem(422, body)).toBe('error 422: to: destination is not a valid mobile number for its country; text: is empty');
    expect(formatProblem(401, { title: 'A valid API key is required', detail: 'missing x-api-key' })).toBe('error 401: missing x-api-key');
    expect(formatProblem(502, 'Bad Gateway')).toBe('error 502: Bad Gateway');
    expect(formatProblem(500, undefined)).toBe('error 500: no details');
  });

  it('shows a message with its receipt and history', () => {
    expect(formatMessage(DELIVERED)).toBe(
      [
        '3f0c2a1e-0000-8000-8000-000000000001  DELIVERED',
        '  to        +447400123456',
        '  segments  2 GSM7',
        '  carrier   sim-a, attempt 1',
        '  smsc ids  1000001, 1000002',
        '  receipt   DELIVERED at 00:00:02.500',
        '  history   00:00:00.000  ACCEPTED',
        '            00:00:00.400  ROUTED      sim-a',
        '            00:00:01.000  SUBMITTED',
        '            00:00:02.500  DELIVERED   DELIVRD',
      ].join('\n'),
    );
  });

  it('notes, for tail, a stack that publishes only the events of messages with a callback URL', () => {
    expect(publishedEventsNote({ StatusEventsPublished: 'callbacks' })).toMatch(/^note: this stack publishes the status events of messages with a callback URL only \(statusEvents.publish: callbacks\)/);
    expect(publishedEventsNote({ StatusEventsPublished: 'all' })).toBeUndefined();
    expect(publishedEventsNote({})).toBeUndefined();
  });

  it('prints a message.inbound event on tail as its time, id, numbers and text', () => {
    const event = { version: 1, type: 'message.inbound', eventId: 'inbound:5f0c', tenantId: 'globex', inboundId: '5f0c', carrierId: 'sim-a', from: '+447700900123', to: '+447700900100', text: 'Yes', parts: 1, receivedAt: '2026-01-01T00:00:01.250Z', occurredAt: '2026-01-01T00:00:01.250Z' };
    expect(formatEvent(event)).toBe('00:00:01.250  5f0c  INBOUND     +447700900123 → +447700900100  Yes');
  });

  it('prints an opt-out event on tail as its time, type, number and source', () => {
    const event = { version: 1, type: 'opt_out.created', eventId: 'opt-out:0', tenantId: 'acme', number: '+447400123456', source: 'keyword', keyword: 'STOP', optedOutAt: '2026-01-01T00:00:01.250Z', occurredAt: '2026-01-01T00:00:01.250Z' };
    expect(formatEvent(event)).toBe('00:00:01.250  opt_out.created  +447400123456  keyword STOP');
    expect(formatEvent({ ...event, type: 'opt_out.deleted', source: 'api', keyword: undefined, sender: 'ACME' })).toBe('00:00:01.250  opt_out.deleted  +447400123456 from ACME  api');
  });

  it('prints one line per status event', () => {
    const event = { version: 1, type: 'message.status', eventId: 'm1:3', messageId: 'm1', tenantId: 'acme', status: 'DELIVERED', previousStatus: 'SUBMITTED', reason: 'DELIVRD', carrierId: 'sim-a', segments: 1, attempt: 1, occurredAt: '2026-01-01T12:00:01.250Z', createdAt: '2026-01-01T12:00:00.000Z' };
    expect(formatEvent(event)).toBe('12:00:01.250  m1  DELIVERED   sim-a attempt 1 (DELIVRD)');
    expect(formatEvent({ ...event, status: 'ACCEPTED', carrierId: undefined, attempt: 0, reason: undefined })).toBe('12:00:01.250  m1  ACCEPTED');
    expect(formatEvent('garbage')).toBe('(not a status event) "garbage"');
  });

  it('lists every DLQ with where it redrives to, and finds one by name or carrier id', () => {
    const targets = dlqTargets(OUTPUTS);
    expect(targets.map((t) => [t.name, t.sourceUrl])).toEqual([
      ['ingest', 'http://q/ingest.fifo'],
      ['carrier:sim-a', 'http://q/a.fifo'],
      ['carrier:sim-b', 'http://q/b.fifo'],
      ['webhooks', 'http://q/webhooks.fifo'],
      ['outbox-failures', undefined],
    ]);
    expect(findDlq(targets, 'sim-b').name).toBe('carrier:sim-b');
    expect(() => findDlq(targets, 'nope')).toThrow("no dead-letter queue 'nope'; the stack has: ingest, carrier:sim-a, carrier:sim-b, webhooks, outbox-failures");
  });

  it('draws a compact table with the depths right-aligned', () => {
    const table = formatDlqTable([
      { name: 'ingest', messages: 0, inFlight: 0, redrivesTo: 'ingest.fifo', url: '' },
      { name: 'carrier:sim-a', messages: 12, inFlight: 3, redrivesTo: 'a.fifo', url: '' },
    ]);
    expect(table).toBe(['DLQ            MESSAGES  IN FLIGHT  REDRIVES TO', 'ingest                0          0  ingest.fifo', 'carrier:sim-a        12          3  a.fifo'].join('\n'));
  });
});

// ---------------------------------------------------------------- whole commands

describe('main', () => {
  it('status prints the message; --json prints it as the API sent it', async () => {
    const human = fakeIo([{ status: 200, body: DELIVERED }]);
    expect(await main(['status', DELIVERED.id], human.io)).toBe(0);
    expect(human.out()).toContain(`${DELIVERED.id}  DELIVERED`);
    expect(human.calls[0]).toMatchObject({ url: `http://api.test/live/v1/messages/${DELIVERED.id}`, method: 'GET', headers: { 'x-api-key': 'k' } });

    const json = fakeIo([{ status: 200, body: DELIVERED }]);
    expect(await main(['status', DELIVERED.id, '--json'], json.io)).toBe(0);
    expect(JSON.parse(json.out())).toEqual(DELIVERED);
  });

  it('list follows nextCursor until it has --limit messages, passing the filters, and prints one line per message', async () => {
    const one = { ...DELIVERED, id: '11111111-1111-4111-8111-111111111111', createdAt: '2026-12-01T10:00:01.000Z' };
    const two = { ...DELIVERED, id: '22222222-2222-4222-8222-222222222222', createdAt: '2026-12-01T10:00:00.000Z' };
    const t = fakeIo([{ status: 200, body: { messages: [one], nextCursor: 'c1' } }, { status: 200, body: { messages: [two], nextCursor: 'c2' } }]);
    expect(await main(['list', '--to', '+447400123456', '--limit', '2'], t.io)).toBe(0);
    expect(t.calls.map((c) => c.url)).toEqual(['http://api.test/live/v1/messages?to=%2B447400123456&limit=2', 'http://api.test/live/v1/messages?to=%2B447400123456&limit=1&cursor=c1']);
    expect(t.out().split('\n').filter(Boolean)).toEqual([expect.stringMatching(/^2026-12-01T10:00:01.000Z  11111111-\S+  DELIVERED /), expect.stringMatching(/^2026-12-01T10:00:00.000Z  22222222-/)]);
  });

  it('opt-outs list follows nextCursor to the last page and prints one line per opt-out', async () => {
    const one = { number: '+447400123401', optedOutAt: '2026-12-01T10:00:00.000Z', source: 'keyword', keyword: 'STOP' };
    const two = { number: '+447400123402', optedOutAt: '2026-12-01T11:00:00.000Z', source: 'api' };
    const t = fakeIo([{ status: 200, body: { optOuts: [one], nextCursor: 'c1' } }, { status: 200, body: { optOuts: [two] } }]);
    expect(await main(['opt-outs', 'list'], t.io)).toBe(0);
    expect(t.calls.map((c) => c.url)).toEqual(['http://api.test/live/v1/opt-outs?limit=100', 'http://api.test/live/v1/opt-outs?limit=100&cursor=c1']);
    expect(t.out()).toBe('+447400123401  2026-12-01T10:00:00.000Z  keyword STOP\n+447400123402  2026-12-01T11:00:00.000Z  api\n');
  });

  it('inbound asks for the filters, follows nextCursor until --limit messages, and prints one line per message', async () => {
    const one = { id: 'a1', from: '+447700900123', to: '+447700900100', text: 'Yes', parts: 1, carrierId: 'sim-a', receivedAt: '2026-12-01T11:00:00.000Z', tenantId: 'globex' };
    const two = { ...one, id: 'a0', text: 'Is 10 ok?', parts: 2, receivedAt: '2026-12-01T10:00:00.000Z' };
    const t = fakeIo([{ status: 200, body: { inbound: [one], nextCursor: 'c1' } }, { status: 200, body: { inbound: [two], nextCursor: 'c2' } }]);
    expect(await main(['inbound', '--from', '+447700900123', '--limit', '2'], t.io)).toBe(0);
    expect(t.calls.map((c) => c.url)).toEqual(['http://api.test/live/v1/inbound?from=%2B447700900123&limit=2', 'http://api.test/live/v1/inbound?from=%2B447700900123&limit=1&cursor=c1']);
    expect(t.out()).toBe('2026-12-01T11:00:00.000Z  a1  +447700900123 → +447700900100  Yes\n2026-12-01T10:00:00.000Z  a0  +447700900123 → +447700900100 (2 parts)  Is 10 ok?\n');
    const none = fakeIo([{ status: 200, body: { inbound: [] } }]);
    expect(await main(['inbound'], none.io)).toBe(0);
    expect(none.out()).toBe('no inbound messages\n');
  });

  it('opt-outs add PUTs the URL-encoded number and prints the opt-out; remove DELETEs it, and a 404 is exit code 1', async () => {
    const added = fakeIo([{ status: 201, body: { number: '+447400123401', sender: 'ACME', optedOutAt: '2026-12-01T10:00:00.000Z', source: 'api' } }]);
    expect(await main(['opt-outs', 'add', '+447400123401', '--sender', 'ACME'], added.io)).toBe(0);
    expect(added.calls[0]).toMatchObject({ url: 'http://api.test/live/v1/opt-outs/%2B447400123401', method: 'PUT', body: '{"sender":"ACME"}' });
    expect(added.out()).toBe('+447400123401  2026-12-01T10:00:00.000Z  api  from ACME\n');

    const removed = fakeIo([{ status: 204, body: undefined }]);
    expect(await main(['opt-outs', 'remove', '+447400123401'], removed.io)).toBe(0);
    expect(removed.calls[0]).toMatchObject({ url: 'http://api.test/live/v1/opt-outs/%2B447400123401', method: 'DELETE' });
    expect(removed.out()).toBe('removed the opt-out of +447400123401\n');

    const none = fakeIo([{ status: 404, type: 'application/problem+json', body: { status: 404, detail: 'no opt-out of +447400123401 is in force' } }]);
    expect(await main(['opt-outs', 'remove', '+447400123401'], none.io)).toBe(1);
    expect(none.err()).toBe('error 404: no opt-out of +447400123401 is in force\n');
  });

  it('an error answer is one line on stderr and exit code 1', async () => {
    const t = fakeIo([{ status: 422, type: 'application/problem+json', body: { title: 'The request is not valid', status: 422, errors: [{ field: 'to', problem: 'destination is not a valid mobile number for its country' }] } }]);
    expect(await main(['send', '+4930123456', 'hi'], t.io)).toBe(1);
    expect(t.err()).toBe('error 422: to: destination is not a valid mobile number for its country\n');
    expect(JSON.parse(t.calls[0]!.body!)).toEqual({ to: '+4930123456', text: 'hi' });
  });

  it('send without --wait prints the accepted message on one line', async () => {
    const t = fakeIo([{ status: 202, body: { id: 'm1', status: 'ACCEPTED', encoding: 'UCS2', segments: 2 } }]);
    expect(await main(['send', '+447400123456', 'hi'], t.io)).toBe(0);
    expect(t.out()).toBe('m1  ACCEPTED  2 segments UCS2\n');
  });

  it('send --send-at asks for the schedule and prints the message SCHEDULED with its time', async () => {
    const t = fakeIo([{ status: 202, body: { id: 'm1', status: 'SCHEDULED', sendAt: '2026-12-02T09:00:00.000Z', encoding: 'GSM7', segments: 1 } }]);
    expect(await main(['send', '+447400123456', 'hi', '--send-at', '2026-12-02T09:00:00Z'], t.io)).toBe(0);
    expect(JSON.parse(String(t.calls[0]!.body))).toEqual({ to: '+447400123456', text: 'hi', sendAt: '2026-12-02T09:00:00Z' });
    expect(t.out()).toBe('m1  SCHEDULED  1 segment GSM7  at 2026-12-02T09:00:00.000Z\n');
  });

  it('send --wait polls until a final status and prints plain progress lines off a TTY', async () => {
    const t = fakeIo([
      { status: 202, body: { id: 'm1', status: 'ACCEPTED', encoding: 'GSM7', segments: 1 } },
      { status: 200, body: { ...DELIVERED, id: 'm1', status: 'ROUTED' } },
      { status: 200, body: { ...DELIVERED, id: 'm1', status: 'UNDELIVERED' } },
    ]);
    expect(await main(['send', '+447400123456', 'hi', '--wait'], t.io)).toBe(3);
    expect(t.err()).toBe('m1 ACCEPTED\nm1 ROUTED via sim-a\nm1 UNDELIVERED via sim-a\n');
    expect(t.out()).toMatch(/^m1 {2}UNDELIVERED\n/);
  });

  it('usage prints GET /v1/usage as a table with the total; --json prints the API’s answer', async () => {
    // Prepare
    const rows = [
      { country: 'DE', messages: 1, segments: 1, spend: 0.07 },
      { country: 'GB', messages: 12, segments: 20, spend: 0.8 },
    ];
    const answer = { from: '2026-12-01', to: '2026-12-31', groupBy: 'country', currency: 'EUR', rows, total: { messages: 13, segments: 21, spend: 0.87 } };
    const t = fakeIo([{ status: 200, body: answer }]);
    // Act
    expect(await main(['usage', '--from', '2026-12-01', '--to', '2026-12-31', '--group-by', 'country'], t.io)).toBe(0);
    // Assess
    expect(t.calls[0]).toMatchObject({ url: 'http://api.test/live/v1/usage?from=2026-12-01&to=2026-12-31&groupBy=country', method: 'GET' });
    expect(t.out()).toBe(
      ['usage 2026-12-01 to 2026-12-31', 'COUNTRY  MESSAGES  SEGMENTS  SPEND (EUR)', 'DE              1         1         0.07', 'GB             12        20          0.8', 'total          13        21         0.87', ''].join('\n'),
    );
    const json = fakeIo([{ status: 200, body: answer }]);
    expect(await main(['usage', '--json'], json.io)).toBe(0);
    expect(json.calls[0]!.url).toBe('http://api.test/live/v1/usage');
    expect(JSON.parse(json.out())).toEqual(answer);
  });

  it('usage errors exit 2 with the usage; missing configuration is an error', async () => {
    const usage = fakeIo([]);
    expect(await main(['status'], usage.io)).toBe(2);
    expect(usage.err()).toMatch(/^'status' needs <id>\n\nUsage: smsgw/);

    const unconfigured = fakeIo([], { SMSGW_API_URL: '', SMSGW_API_KEY: '' });
    unconfigured.io.env = { SMSGW_OUTPUTS: '/nonexistent/outputs.json' };
    expect(await main(['status', 'm1'], unconfigured.io)).toBe(1);
    expect(unconfigured.err()).toMatch(/^error: no API URL: pass --api-url, set SMSGW_API_URL, or run 'npm run local'/);

    const noOutputs = fakeIo([]);
    expect(await main(['dlq', 'list'], noOutputs.io)).toBe(1);
    expect(noOutputs.err()).toMatch(/^error: \/nonexistent\/outputs.json not found: 'tail' and 'dlq' need the stack outputs/);
  });
});

// ---------------------------------------------------------------- npm run local -- --simulate

describe('apiClient', () => {
  const config = { apiUrl: 'http://api.test/live', apiKey: 'k', outputs: undefined, outputsPath: '/nonexistent' };
  const limited = () => new Response(JSON.stringify({ type: 'http://api.test/live/problems/rate-limited', status: 429, title: 'Too many requests', detail: 'tenant t may send 2 requests per second' }), { status: 429, headers: { 'content-type': 'application/problem+json', 'retry-after': '2' } });

  it('waits Retry-After and tries again while the API answers 429', async () => {
    // Prepare
    const answers = [limited(), limited(), new Response(JSON.stringify({ id: 'x' }), { status: 202 })];
    const slept: number[] = [];
    const client = apiClient(config, (async () => answers.shift()!) as unknown as typeof fetch, async (ms) => void slept.push(ms));
    // Act
    const result = await client.request('POST', '/v1/messages', { to: '+447400123456', text: 'hi' });
    // Assess
    expect(result).toEqual({ id: 'x' });
    expect(slept).toEqual([2000, 2000]);
  });

  it('does not wait for a quota: a Retry-After past 30 seconds fails at once', async () => {
    let calls = 0;
    const quota = () => new Response(JSON.stringify({ type: 'http://api.test/live/problems/quota-exceeded', status: 429, title: 'The tenant’s quota is used up', detail: 'tenant t: the message would pass the segmentsPerDay cap of 10 (10 used)' }), { status: 429, headers: { 'content-type': 'application/problem+json', 'retry-after': '3600' } });
    const client = apiClient(config, (async () => (calls++, quota())) as unknown as typeof fetch, async () => undefined);
    await expect(client.request('POST', '/v1/messages', {})).rejects.toThrow('error 429: tenant t: the message would pass the segmentsPerDay cap of 10 (10 used)');
    expect(calls).toBe(1);
  });

  it('gives up after a few tries with the API\'s problem', async () => {
    // Prepare
    let calls = 0;
    const client = apiClient(config, (async () => (calls++, limited())) as unknown as typeof fetch, async () => undefined);
    // Act / Assess
    await expect(client.request('GET', '/v1/messages/x')).rejects.toThrow('error 429: tenant t may send 2 requests per second');
    expect(calls).toBe(RATE_LIMIT_TRIES);
  });
});

describe('parseSimulateSpecs', () => {
  const carriers = ['sim-a', 'sim-b'];

  it('maps behaviours to simulator options, merging repeated carriers', () => {
    const specs = parseSimulateSpecs(['sim-a:tps=20', 'sim-b:drop-after=50,receipt-before-response', 'sim-b:reject-with=0x45,id-format=hex,receipt-delay=-1,receipt-stat=UNDELIV,no-receipt-tlvs,max-binds=2,response-delay=100'], carriers);
    expect(specs.get('sim-a')).toEqual({ tps: 20 });
    expect(specs.get('sim-b')).toEqual({
      dropAfterSubmits: 50,
      receiptBeforeResponse: true,
      rejectWith: 0x45,
      idFormat: 'hex',
      receiptDelayMs: -1,
      receiptStat: 'UNDELIV',
      useReceiptTlvs: false,
      maxBinds: 2,
      responseDelayMs: 100,
    });
    expect(parseSimulateSpecs([], carriers).size).toBe(0);
    expect(describeBehaviour(specs.get('sim-b')!)).toBe('drop-after=50, receipt-before-response, receipt-delay=-1, response-delay=100, receipt-stat=UNDELIV, reject-with=0x45, id-format=hex, no-receipt-tlvs, max-binds=2');
  });

  it.each([
    ['sim-a', '--simulate sim-a: expected <carrier>:<behaviour>[,<behaviour>…], e.g. sim-a:tps=20'],
    ['sim-c:tps=1', "--simulate sim-c:tps=1: no simulated carrier 'sim-c' (simulated: sim-a, sim-b; mark a carrier 'simulated: true' in the config)"],
    ['sim-a:tps=0', "--simulate sim-a:tps=0: tps must be a number > 0, got '0'"],
    ['sim-a:tps', '--simulate sim-a:tps: tps must be a number > 0 (tps=N)'],
    ['sim-a:drop-after=0', "--simulate sim-a:drop-after=0: drop-after must be a whole number >= 1, got '0'"],
    ['sim-a:receipt-before-response=yes', '--simulate sim-a:receipt-before-response=yes: receipt-before-response takes no value'],
    ['sim-a:receipt-stat=OK', "--simulate sim-a:receipt-stat=OK: receipt-stat must be one of DELIVRD, UNDELIV, EXPIRED, REJECTD, got 'OK'"],
    ['sim-a:reject-with=x45', "--simulate sim-a:reject-with=x45: reject-with must be a command_status in hex (0x45) or decimal (69), got 'x45'"],
    ['sim-a:warp=9', "--simulate sim-a:warp=9: unknown behaviour 'warp' (tps, drop-after, receipt-before-response, receipt-delay, response-delay, receipt-stat, reject-with, id-format, no-receipt-tlvs, max-binds)"],
  ])('refuses %s with a message naming the problem', (spec, message) => {
    expect(() => parseSimulateSpecs([spec], carriers)).toThrow(message);
  });
});

describe('localWorkers (npm run local --workers)', () => {
  it('starts one worker by default, local-1 on health port 8081', () => {
    expect(localWorkers(undefined, {})).toEqual([{ taskId: 'local-1', healthPort: 8081 }]);
  });

  it('gives each of several workers its own task id and the next health port from HEALTH_PORT', () => {
    expect(localWorkers('3', { HEALTH_PORT: '9000' })).toEqual([
      { taskId: 'local-1', healthPort: 9000 },
      { taskId: 'local-2', healthPort: 9001 },
      { taskId: 'local-3', healthPort: 9002 },
    ]);
    expect(localWorkers(String(MAX_LOCAL_WORKERS), {})).toHaveLength(MAX_LOCAL_WORKERS);
  });

  it.each(['0', '-1', '2x', '1.5', '', ' 2', String(MAX_LOCAL_WORKERS + 1)])('refuses --workers %j, naming the range', (value) => {
    expect(() => localWorkers(value, {})).toThrow(new LocalUsageError(`--workers ${value}: must be a whole number from 1 to ${MAX_LOCAL_WORKERS}`));
  });

  it('refuses a HEALTH_PORT that is not a port, or leaves no room for the next workers\' ports', () => {
    expect(() => localWorkers('1', { HEALTH_PORT: 'http' })).toThrow(new LocalUsageError('HEALTH_PORT=http: must be a port number from 1 to 65535'));
    expect(() => localWorkers('2', { HEALTH_PORT: '65535' })).toThrow('HEALTH_PORT=65535: must be a port number from 1 to 65534, the first of 2 consecutive health ports');
  });
});

describe('describeWorkerLine (npm run local)', () => {
  const line = (fields: Record<string, unknown>) => describeWorkerLine(JSON.stringify({ level: 'INFO', timestamp: '2026-12-01T15:00:00.000Z', taskId: 'local-2', ...fields }));

  it('says which task acquired which bind\'s lease, and whose it took over', () => {
    expect(line({ message: 'LEASE_ACQUIRED', carrierId: 'sim-a', slot: 0, token: 7, takeover: false })).toBe('sim-a bind 0: lease acquired by local-2');
    expect(line({ message: 'LEASE_ACQUIRED', carrierId: 'sim-a', slot: 0, token: 8, takeover: true, previousOwner: 'local-1' })).toBe('sim-a bind 0: lease acquired by local-2 (takeover from local-1)');
    expect(line({ message: 'LEASE_ACQUIRED', carrierId: 'sim-a', slot: 1, token: 9, takeover: true })).toBe('sim-a bind 1: lease acquired by local-2 (takeover)');
  });

  it('says when a task released a lease, or lost it and why', () => {
    expect(line({ message: 'LEASE_RELEASED', carrierId: 'sim-b', slot: 1, reason: 'stop' })).toBe('sim-b bind 1: lease released by local-2 (stop)');
    expect(line({ message: 'LEASE_RELEASED', carrierId: 'sim-b', slot: 1, reason: 'balance' })).toBe('sim-b bind 1: lease released by local-2 (balance)');
    expect(line({ message: 'LEASE_LOST', carrierId: 'sim-b', slot: 0, reason: 'renewals_failed' })).toBe('sim-b bind 0: lease lost by local-2 (renewals_failed)');
  });

  it('names the bind slot of a bind that came up, was lost or was refused', () => {
    expect(line({ message: 'BIND_UP', carrierId: 'sim-a', bind: 1, type: 'transceiver', attempts: 1 })).toBe('sim-a bind 1: bind up');
    expect(line({ message: 'BIND_LOST', carrierId: 'sim-a', bind: 0, type: 'transceiver', reason: 'closed by the SMSC' })).toBe('sim-a bind 0: bind lost (closed by the SMSC)');
    expect(line({ message: 'BIND_REFUSED', carrierId: 'sim-a', bind: 0, type: 'transceiver', commandStatus: '0x0000000D', name: 'ESME_RBINDFAIL' })).toBe('sim-a bind 0: bind refused (ESME_RBINDFAIL)');
  });

  it('says what an inbound message was: whose, a keyword and its reply, or to a number nobody owns', () => {
    expect(line({ message: 'INBOUND_RECORDED', carrierId: 'sim-a', inboundId: 'i-1', tenantId: 'acme', from: '+44********23', parts: 1 })).toBe('inbound message from +44********23 recorded for acme (1 part(s))');
    expect(line({ message: 'INBOUND_DUPLICATE', carrierId: 'sim-a', inboundId: '0123456789abcdef', from: '+44********23' })).toBe('inbound message from +44********23 resent by sim-a: recorded already as 01234567');
    expect(line({ message: 'INBOUND_UNOWNED', carrierId: 'sim-a', inboundId: 'i-1', from: '+44********23', to: '+44********99' })).toBe('inbound message from +44********23 to +44********99: no tenant owns that number (tenants[].numbers)');
    expect(line({ message: 'KEYWORD_HANDLED', tenantId: 'acme', from: '+44********23', kind: 'stop', changed: true, replyId: '0123456789abcdef' })).toBe('stop keyword from +44********23 for acme, opted out; reply 01234567 ACCEPTED');
    expect(line({ message: 'KEYWORD_HANDLED', tenantId: 'acme', from: '+44********23', kind: 'start', changed: false, replyId: '0123456789abcdef' })).toBe('start keyword from +44********23 for acme, nothing to change; reply 01234567 ACCEPTED');
    expect(line({ message: 'KEYWORD_HANDLED', tenantId: 'acme', from: '+44********23', kind: 'help', changed: false, replyId: '0123456789abcdef' })).toBe('help keyword from +44********23 for acme; reply 01234567 ACCEPTED');
    expect(line({ message: 'KEYWORD_HANDLED', tenantId: 'acme', from: 'ACME', kind: 'stop', notApplied: 'sender_not_international' })).toBe('stop keyword from ACME not applied (sender_not_international)');
  });

  it('keeps the JSON log\'s other lines, and anything that is not JSON, to itself', () => {
    expect(line({ message: 'HEARTBEAT_FAILED', carrierId: 'sim-a' })).toBeUndefined();
    expect(describeWorkerLine('npm warn something')).toBeUndefined();
  });
});

describe('the inbound message hint (npm run local)', () => {
  it('prints the curl of the first simulator’s control port, a STOP to the first tenant number', () => {
    const hint = inboundHint({ tenants: [{ id: 'initech', numbers: [] }, { id: 'acme', numbers: ['+447700900000', '60100'] }] }, [{ id: 'sim-a' }], [{ port: 3775 }]);
    expect(hint).toContain("here a STOP to acme's number +447700900000");
    expect(hint).toContain(`curl -s -X POST http://127.0.0.1:3775/mo -H 'content-type: application/json' -d '{"from":"+447700900123","to":"+447700900000","text":"STOP"}'`);
  });

  it('is empty without a simulated carrier', () => {
    expect(inboundHint({ tenants: [{ id: 'acme', numbers: ['60100'] }] }, [], [])).toBe('');
  });

  it('puts each control port 1000 above its SMPP port, or on any free port where that is past 65535', () => {
    expect([controlPort(2775), controlPort(2776), controlPort(65000)]).toEqual([3775, 3776, 0]);
  });
});
