/**
 * The router handler's logs, with DynamoDB and SQS answered in memory: one
 * ROUTER_BATCH line per invocation at INFO with what became of its records, a
 * record it cannot read at WARN (the README's IngestDlqNotEmpty row points to it),
 * and each record's outcome (MESSAGE_ROUTED, …) at DEBUG only. What routing does is
 * tested on routeMessage (route-message.test.ts) and on the emulator (routing.test.ts).
 */
import { DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, expect, describe, it, vi } from 'vitest';
import { resetRuntimeConfigCache } from '../../core/config/runtime';
import type { MessageRecord } from '../../core/domain/message';
import { captureLogs } from '../support/captured-logs';
import { ingestEnvelope, messageRecord, staticRoute } from '../support/factories';

const CARRIER_A = 'https://sqs.local/c-a.fifo';
const context = { getRemainingTimeInMillis: () => 30_000 } as unknown as Context;
const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();

let handler: (event: SQSEvent, context: Context) => Promise<unknown>;

beforeAll(async () => {
  vi.stubEnv('TABLE_NAME', 'messages');
  vi.stubEnv('CARRIER_QUEUE_URLS', JSON.stringify({ 'c-a': CARRIER_A }));
  vi.stubEnv('AWS_REGION', 'us-east-1');
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'INFO');
  vi.stubEnv(
    'GATEWAY_RUNTIME_CONFIG',
    JSON.stringify({
      version: 1,
      retentionDays: 30,
      health: { staleAfterSeconds: 60 },
      tenants: [{ id: 'acme', apiKeySha256: [], rateLimitPerSecond: 10 }],
      carriers: [{ id: 'c-a', maxAttempts: 3, tps: 10 }],
      routes: [staticRoute('uk', 'c-a', { prefix: ['+447'] })],
    }),
  );
  resetRuntimeConfigCache();
  vi.resetModules();
  ({ handler } = (await import('../../lambdas/router/index.js')) as unknown as { handler: typeof handler });
});

afterEach(() => vi.restoreAllMocks());
afterAll(() => {
  vi.unstubAllEnvs();
  resetRuntimeConfigCache();
});

/** The table as the router finds it: each message's record after the change the router asks for. */
function table(after: Record<string, MessageRecord>) {
  vi.spyOn(DynamoDBDocumentClient.prototype, 'send').mockImplementation((async (command: unknown) => {
    if (command instanceof QueryCommand) return { Items: [] }; // no heartbeats: the static route's carrier all the same
    if (command instanceof UpdateCommand) return { Attributes: after[String(command.input.Key!.pk).replace(/^MSG#/, '')] };
    throw new Error('unexpected DynamoDB command');
  }) as never);
  vi.spyOn(SQSClient.prototype, 'send').mockImplementation((async (command: unknown) => {
    if (command instanceof SendMessageCommand) return {};
    throw new Error('unexpected SQS command');
  }) as never);
}

function ingestRecord(id: string, body: string): SQSRecord {
  return {
    messageId: id,
    receiptHandle: `rh-${id}`,
    body,
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: '1767225600000', SenderId: 'outbox', ApproximateFirstReceiveTimestamp: '1767225600000' },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:ingest.fifo',
    awsRegion: 'us-east-1',
  };
}

describe('router handler: logs', () => {
  it('one ROUTER_BATCH line per invocation with its outcomes, a record it cannot read at WARN, nothing per routed record', async () => {
    // Prepare: a retry to route, one whose validity has passed, and a record that is no envelope
    const retry = messageRecord({ id: 'm-retry', status: 'RETRYING', attempt: 1, validUntil: inAnHour() });
    const late = messageRecord({ id: 'm-late', status: 'RETRYING', attempt: 1, validUntil: new Date(Date.now() - 60_000).toISOString() });
    table({ 'm-retry': { ...retry, status: 'ROUTED', attempt: 2, carrierId: 'c-a' }, 'm-late': { ...late, status: 'EXPIRED' } });
    const logs = captureLogs();
    // Act
    const result = await handler(
      {
        Records: [
          ingestRecord('routed', JSON.stringify(ingestEnvelope(retry, { attempt: 2 }))),
          ingestRecord('expired', JSON.stringify(ingestEnvelope(late, { attempt: 2 }))),
          ingestRecord('poison', 'not json'),
        ],
      },
      context,
    );
    // Assess
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'poison' }] });
    expect(logs().map((l) => `${l.level} ${l.message}`)).toEqual(['WARN RECORD_FAILED', 'INFO ROUTER_BATCH']);
    expect(logs()[0]).toMatchObject({ sqsMessageId: 'poison', error: 'SyntaxError' });
    expect(logs()[1]).toMatchObject({ records: 3, routed: 1, expired: 1, rejected: 0, skipped: 0, failed: 1 });
  });
});
