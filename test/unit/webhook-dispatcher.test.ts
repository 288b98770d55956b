/**
 * Webhook delivery against a real HTTP receiver (node:http on 127.0.0.1, port 0):
 * the signed POST, the classification of answers, redirects and timeouts; then
 * the Lambda handler end to end with SQS redelivery simulated by calling it with
 * growing ApproximateReceiveCount (SQS and Secrets Manager clients mocked).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ChangeMessageVisibilityCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';

// The handler reads its environment at module load; the tenants' callback URLs
// (which need the receiver's port) are set in beforeAll, before the first record.
const QUEUE_URL = 'https://sqs.local/000000000000/webhooks';
const DLQ_URL = 'https://sqs.local/000000000000/webhooks-dlq';
vi.hoisted(() => {
  process.env.AWS_REGION = 'us-east-1';
  process.env.WEBHOOK_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:webhooks';
  process.env.WEBHOOK_QUEUE_URL = 'https://sqs.local/000000000000/webhooks';
  process.env.WEBHOOK_DLQ_URL = 'https://sqs.local/000000000000/webhooks-dlq';
  process.env.WEBHOOK_ALLOW_HTTP = '1';
  process.env.WEBHOOK_ALLOW_PRIVATE = '1';
  // The unit project silences Powertools (vitest.config.mts); this file reads what the handler logs.
  process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
});

import { resetRuntimeConfigCache } from '../../core/config/runtime';
import { MAX_WEBHOOK_ATTEMPTS, retryDelayBounds, verifyWebhook, type Lookup } from '../../core/domain/webhook';
import { deliverWebhook, httpPost, pinnedLookup, type Transport } from '../../core/webhook/dispatcher';
import { handler } from '../../lambdas/webhook/index';
import { sqsRecord, statusEvent } from '../support/factories';

// ---------------------------------------------------------------- receiver

interface Received {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

type Responder = (req: Received, res: ServerResponse) => void;

let server: Server;
let baseUrl: string;
let received: Received[] = [];
let respond: Responder = (_req, res) => res.writeHead(204).end();

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      received.push(r);
      respond(r, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  received = [];
  respond = (_req, res) => res.writeHead(204).end();
});

afterEach(() => vi.restoreAllMocks());

// ---------------------------------------------------------------- fixtures

const SECRET = 'whsec_test_acme';
const local = { allowHttp: true, allowPrivate: true };

const nowSeconds = () => Math.floor(Date.now() / 1000);

// ---------------------------------------------------------------- deliverWebhook

describe('deliverWebhook', () => {
  it('POSTs the event as JSON with a valid signature and the documented headers', async () => {
    const event = statusEvent();
    const result = await deliverWebhook(event, { url: `${baseUrl}/hooks/sms?tenant=acme`, secret: SECRET }, local);

    expect(result).toEqual({ ok: true, status: 204 });
    expect(received).toHaveLength(1);
    const [req] = received;
    expect(req?.method).toBe('POST');
    expect(req?.path).toBe('/hooks/sms?tenant=acme');
    expect(req?.headers['content-type']).toBe('application/json');
    expect(req?.headers['user-agent']).toBe('sms-gateway-webhooks/1');
    expect(req?.headers['webhook-id']).toBe('m1:3');
    expect(JSON.parse(req?.body ?? '')).toEqual(event);
    const signature = String(req?.headers['webhook-signature']);
    expect(signature).toMatch(new RegExp(`^t=${req?.headers['webhook-timestamp']},v1=[0-9a-f]{64}$`));
    expect(verifyWebhook(SECRET, signature, req?.body ?? '', nowSeconds())).toBe(true);
    expect(verifyWebhook('another-secret', signature, req?.body ?? '', nowSeconds())).toBe(false);
  });

  it.each([200, 201, 202, 299])('treats %i as delivered', async (status) => {
    respond = (_req, res) => res.writeHead(status).end('ok');
    expect(await deliverWebhook(statusEvent(), { url: `${baseUrl}/`, secret: SECRET }, local)).toEqual({ ok: true, status });
  });

  it.each([
    [500, true],
    [503, true],
    [408, true],
    [429, true],
    [404, false],
    [400, false],
    [401, false],
    [410, false],
  ])('answer %i → retryable %s', async (status, retryable) => {
    respond = (_req, res) => res.writeHead(status).end('nope');
    expect(await deliverWebhook(statusEvent(), { url: `${baseUrl}/`, secret: SECRET }, local)).toEqual({ ok: false, retryable, reason: `HTTP ${status}` });
  });

  it('does not follow a redirect (302 → not retryable, target never called)', async () => {
    respond = (req, res) => (req.path === '/moved' ? res.writeHead(302, { location: `${baseUrl}/target` }).end() : res.writeHead(204).end());
    const result = await deliverWebhook(statusEvent(), { url: `${baseUrl}/moved`, secret: SECRET }, local);
    expect(result).toEqual({ ok: false, retryable: false, reason: 'HTTP 302: redirects are not followed' });
    expect(received.map((r) => r.path)).toEqual(['/moved']);
  });

  it('gives up on a slow receiver after timeoutMs (retryable)', async () => {
    respond = (_req, res) => void setTimeout(() => res.writeHead(200).end(), 2_000);
    const started = Date.now();
    const result = await deliverWebhook(statusEvent(), { url: `${baseUrl}/slow`, secret: SECRET }, { ...local, timeoutMs: 200 });
    expect(result).toEqual({ ok: false, retryable: true, reason: 'timeout after 200 ms' });
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('a refused connection is retryable', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const result = await deliverWebhook(statusEvent(), { url: `http://127.0.0.1:${port}/`, secret: SECRET }, local);
    expect(result).toMatchObject({ ok: false, retryable: true, reason: expect.stringMatching(/ECONNREFUSED/) });
  });

  it('refuses a private or http URL before any request when not allowed (not retryable)', async () => {
    const transport = vi.fn<Transport>();
    const strict = { allowHttp: false, allowPrivate: false, transport };
    expect(await deliverWebhook(statusEvent(), { url: `${baseUrl}/`, secret: SECRET }, strict)).toMatchObject({ ok: false, retryable: false, reason: expect.stringMatching(/https/) });
    expect(await deliverWebhook(statusEvent(), { url: 'https://169.254.169.254/', secret: SECRET }, strict)).toMatchObject({ ok: false, retryable: false, reason: expect.stringMatching(/link-local/) });
    expect(transport).not.toHaveBeenCalled();
  });

  it('re-checks DNS before the request: a name that resolves to a private address is refused', async () => {
    const transport = vi.fn<Transport>();
    const rebound: Lookup = async () => [{ address: '10.0.0.7', family: 4 }];
    const result = await deliverWebhook(statusEvent(), { url: 'https://hooks.example.com/', secret: SECRET }, { allowHttp: false, allowPrivate: false, transport, lookup: rebound });
    expect(result).toMatchObject({ ok: false, retryable: false, reason: expect.stringMatching(/hooks\.example\.com resolves to a private address/) });
    expect(transport).not.toHaveBeenCalled();
  });

  it('a failed DNS lookup is retryable; a public name is posted, signed, to the addresses that were checked', async () => {
    const failing: Lookup = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    };
    const strict = { allowHttp: false, allowPrivate: false };
    expect(await deliverWebhook(statusEvent(), { url: 'https://hooks.example.com/', secret: SECRET }, { ...strict, lookup: failing })).toMatchObject({ ok: false, retryable: true });

    const transport = vi.fn<Transport>().mockResolvedValue(200);
    // A rebinding name: public to the check, private to any later lookup. Only one lookup may happen.
    let lookups = 0;
    const rebinding: Lookup = async () => (lookups++ === 0 ? [{ address: '93.184.216.34', family: 4 }, { address: '2606:2800:220:1::1', family: 6 }] : [{ address: '10.0.0.7', family: 4 }]);
    const result = await deliverWebhook(statusEvent(), { url: 'https://hooks.example.com/', secret: SECRET }, { ...strict, lookup: rebinding, transport, now: () => 1_767_225_600_000 });
    expect(result).toEqual({ ok: true, status: 200 });
    expect(lookups).toBe(1);
    const request = transport.mock.calls[0]![0];
    expect(request.addresses).toEqual(['93.184.216.34', '2606:2800:220:1::1']);
    expect(request.url.href).toBe('https://hooks.example.com/');
    expect(request.headers['Webhook-Timestamp']).toBe('1767225600');
    expect(verifyWebhook(SECRET, request.headers['Webhook-Signature'] ?? '', request.body, 1_767_225_600)).toBe(true);
  });
});

describe('httpPost', () => {
  const post = (url: string, addresses: string[] | undefined) => httpPost({ url: new URL(url), addresses, headers: { 'content-type': 'application/json' }, body: '{}', timeoutMs: 2000 });

  it('connects to the pinned address, keeping the name in the Host header', async () => {
    // Prepare: a name that resolves nowhere (.invalid, RFC 6761)
    const port = new URL(baseUrl).port;
    const url = `http://hooks.invalid:${port}/pinned`;
    // Act (unpinned first: a kept-alive socket of the pinned request would serve it)
    const unpinned = post(url, undefined);
    await expect(unpinned).rejects.toMatchObject({ code: expect.stringMatching(/ENOTFOUND|EAI_AGAIN/) });
    const status = await post(url, ['127.0.0.1']);
    // Assess
    expect(status).toBe(204);
    expect(received.at(-1)).toMatchObject({ method: 'POST', path: '/pinned', headers: { host: `hooks.invalid:${port}` } });
  });

  it('over https, connects to the pinned address and presents the name in TLS (SNI), so the certificate is checked for the name', async () => {
    // Prepare: a TLS server that records the name the client asks for (and has no certificate to offer)
    const names: string[] = [];
    const tlsServer = createTlsServer({ SNICallback: (name, callback) => (names.push(name), callback(new Error('no certificate here'))) });
    await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
    const port = (tlsServer.address() as AddressInfo).port;
    try {
      // Act
      const attempt = post(`https://hooks.invalid:${port}/`, ['127.0.0.1']);
      // Assess
      await expect(attempt).rejects.toThrow();
      expect(names).toEqual(['hooks.invalid']);
    } finally {
      await new Promise((resolve) => tlsServer.close(resolve));
    }
  });

  it('refuses a family the checked addresses do not have', () => {
    const lookup = pinnedLookup(['127.0.0.1']);
    const answers: unknown[] = [];
    lookup('h', { family: 6 }, (err, address) => answers.push(err ? (err as NodeJS.ErrnoException).code : address));
    lookup('h', { family: 4 }, (err, address) => answers.push(err ? (err as NodeJS.ErrnoException).code : address));
    lookup('h', { all: true }, (err, address) => answers.push(err ? (err as NodeJS.ErrnoException).code : address));
    expect(answers).toEqual(['ENOTFOUND', '127.0.0.1', [{ address: '127.0.0.1', family: 4 }]]);
  });

});

// ---------------------------------------------------------------- the Lambda, end to end

describe('webhook Lambda handler', () => {
  const context = { getRemainingTimeInMillis: () => 30_000 } as unknown as Context;
  let sqsCalls: { name: string; input: Record<string, unknown> }[];
  /** What the handler logged (Powertools writes to stdout and stderr): kept here, so the test run stays quiet. */
  let logged: string[];

  beforeAll(() => {
    // acme's default callback URL is the local receiver; globex has none.
    process.env.GATEWAY_RUNTIME_CONFIG = JSON.stringify({
      version: 1,
      tenants: [
        { id: 'acme', apiKeySha256: [], callbackUrl: `${baseUrl}/acme-default` },
        { id: 'globex', apiKeySha256: [] },
      ],
    });
    resetRuntimeConfigCache();
  });

  beforeEach(() => {
    logged = [];
    for (const stream of [process.stdout, process.stderr]) vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => (logged.push(String(chunk)), true));
    sqsCalls = [];
    vi.spyOn(SQSClient.prototype, 'send').mockImplementation((async (command: unknown) => {
      if (command instanceof ChangeMessageVisibilityCommand) sqsCalls.push({ name: 'ChangeMessageVisibility', input: { ...command.input } });
      else if (command instanceof SendMessageCommand) sqsCalls.push({ name: 'SendMessage', input: { ...command.input } });
      else throw new Error('unexpected SQS command');
      return {};
    }) as never);
    vi.spyOn(SecretsManagerClient.prototype, 'send').mockImplementation((async (command: unknown) => {
      if (!(command instanceof GetSecretValueCommand) || command.input.SecretId !== process.env.WEBHOOK_SECRET_ARN) throw new Error('unexpected Secrets Manager call');
      return { SecretString: JSON.stringify({ acme: SECRET, globex: 'whsec_globex' }) };
    }) as never);
  });

  it('retries with backoff on 500, 500 and delivers on the third receive, signed every time', async () => {
    // Prepare: the receiver answers 500 twice, then 204.
    let calls = 0;
    respond = (_req, res) => res.writeHead(++calls <= 2 ? 500 : 204).end();
    const body = JSON.stringify(statusEvent());

    // Act: three receives of the same SQS message, as SQS redelivers it.
    const results = [];
    for (const receiveCount of [1, 2, 3]) results.push(await handler({ Records: [sqsRecord(body, receiveCount)] }, context));

    // Assess
    expect(received).toHaveLength(3);
    for (const r of received) {
      expect(r.path).toBe('/acme-default'); // the tenant's default: the event has no callbackUrl
      expect(r.headers['webhook-id']).toBe('m1:3');
      expect(r.body).toBe(body);
      expect(verifyWebhook(SECRET, String(r.headers['webhook-signature']), r.body, nowSeconds())).toBe(true);
    }
    expect(results).toEqual([{ batchItemFailures: [{ itemIdentifier: 'sqs-1' }] }, { batchItemFailures: [{ itemIdentifier: 'sqs-1' }] }, { batchItemFailures: [] }]);
    expect(sqsCalls.map((c) => [c.name, c.input.QueueUrl, c.input.ReceiptHandle])).toEqual([
      ['ChangeMessageVisibility', QUEUE_URL, 'rh-sqs-1-1'],
      ['ChangeMessageVisibility', QUEUE_URL, 'rh-sqs-1-2'],
    ]);
    sqsCalls.forEach((c, i) => {
      const { min, max } = retryDelayBounds(i + 1);
      expect(c.input.VisibilityTimeout).toBeGreaterThanOrEqual(min);
      expect(c.input.VisibilityTimeout).toBeLessThanOrEqual(max);
    });
  });

  it('posts to the per-message callbackUrl when the event has one', async () => {
    const result = await handler({ Records: [sqsRecord(JSON.stringify(statusEvent({ callbackUrl: `${baseUrl}/per-message` })), 1)] }, context);
    expect(result).toEqual({ batchItemFailures: [] });
    expect(received.map((r) => r.path)).toEqual(['/per-message']);
  });

  it('dead-letters a non-retryable failure at once (SendMessage to the DLQ with the reason) and reports success', async () => {
    respond = (_req, res) => res.writeHead(404).end();
    const body = JSON.stringify(statusEvent());
    const result = await handler({ Records: [sqsRecord(body, 1)] }, context);
    expect(result).toEqual({ batchItemFailures: [] });
    expect(sqsCalls).toEqual([
      {
        name: 'SendMessage',
        input: {
          QueueUrl: DLQ_URL,
          MessageBody: body,
          MessageAttributes: {
            failureReason: { DataType: 'String', StringValue: 'HTTP 404' },
            eventId: { DataType: 'String', StringValue: 'm1:3' },
            attempts: { DataType: 'Number', StringValue: '1' },
          },
        },
      },
    ]);
  });

  it('dead-letters after the last attempt instead of retrying', async () => {
    respond = (_req, res) => res.writeHead(503).end();
    const result = await handler({ Records: [sqsRecord(JSON.stringify(statusEvent()), MAX_WEBHOOK_ATTEMPTS)] }, context);
    expect(result).toEqual({ batchItemFailures: [] });
    expect(sqsCalls.map((c) => [c.name, (c.input.MessageAttributes as Record<string, { StringValue: string }> | undefined)?.failureReason?.StringValue])).toEqual([
      ['SendMessage', `gave up after ${MAX_WEBHOOK_ATTEMPTS} attempts: HTTP 503`],
    ]);
  });

  it('does nothing for a tenant without a callback URL, and fails an invalid event alone', async () => {
    const result = await handler(
      {
        Records: [
          sqsRecord(JSON.stringify(statusEvent({ tenantId: 'globex' })), 1, 'no-url'),
          sqsRecord('{"version":2}', 1, 'poison'),
          sqsRecord('not json', 1, 'garbage'),
          sqsRecord(JSON.stringify(statusEvent()), 1, 'fine'),
        ],
      },
      context,
    );
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'poison' }, { itemIdentifier: 'garbage' }] });
    expect(received).toHaveLength(1);
    expect(sqsCalls).toEqual([]);
  });

  it('logs one WEBHOOK_BATCH line per invocation with what became of its records, and no line per delivery', async () => {
    // Act: a delivery, an event of a tenant without a callback URL, and a record that is no event
    const result = await handler(
      {
        Records: [
          sqsRecord(JSON.stringify(statusEvent()), 1, 'fine', 'm1'),
          sqsRecord(JSON.stringify(statusEvent({ messageId: 'm2', eventId: 'm2:3', tenantId: 'globex' })), 1, 'no-url', 'm2'),
          sqsRecord('not json', 1, 'garbage', 'm3'),
        ],
      },
      context,
    );
    // Assess
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'garbage' }] });
    const lines = logged.join('').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => `${l.level} ${l.message}`)).toEqual(['ERROR RECORD_FAILED', 'INFO WEBHOOK_BATCH']);
    expect(lines[0]).toMatchObject({ sqsMessageId: 'garbage' });
    expect(lines[1]).toMatchObject({ records: 3, delivered: 1, noCallback: 1, failed: 1, retried: 0, deadLettered: 0, notDelivered: 1 });
  });

  it('never logs the body or the reference', async () => {
    respond = (_req, res) => res.writeHead(500).end();
    await handler({ Records: [sqsRecord(JSON.stringify(statusEvent({ reference: 'secret-order-ref' })), 1)] }, context);
    const logs = logged.join('');
    expect(logs).toContain('WEBHOOK_RETRY');
    expect(logs).not.toContain('secret-order-ref');
  });
});
