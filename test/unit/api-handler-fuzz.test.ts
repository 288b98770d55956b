/**
 * The same property as api-fuzz.test.ts, through the API Lambda's own handler
 * (lambdas/api/index.ts): the API Gateway event, the real MessageStore and
 * request counter with their DynamoDB client answered in memory (items
 * marshalled as the SDK would), the 503 wrapper and the metrics. Never a 5xx
 * for a bad request, and nothing stored for a refused one.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import fc from 'fast-check';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { answerProblems, badRequests, type FuzzRequest } from '../support/bad-requests';
import { API_KEYS, runtimeConfigFor, TEST_API_URL } from '../support/factories';

const items = new Map<string, Record<string, unknown>>();
const messageCount = () => [...items.keys()].filter((k) => k.startsWith('MSG#')).length;

/** DynamoDB in memory, for the commands the API sends: each item goes through marshall as on the wire. */
async function dynamo(command: unknown): Promise<unknown> {
  const keyOf = (key: Record<string, unknown>) => `${String(key.pk)}|${String(key.sk)}`;
  if (command instanceof PutCommand) {
    const item = command.input.Item as Record<string, unknown>;
    marshall(item, { removeUndefinedValues: true });
    if (items.has(keyOf(item))) throw new ConditionalCheckFailedException({ message: 'exists', $metadata: {} });
    items.set(keyOf(item), structuredClone(item));
    return {};
  }
  if (command instanceof GetCommand) return { Item: items.get(keyOf(command.input.Key as Record<string, unknown>)) };
  if (command instanceof BatchGetCommand) {
    const [[table, { Keys }]] = Object.entries(command.input.RequestItems ?? {}) as [[string, { Keys: Record<string, unknown>[] }]];
    return { Responses: { [table]: Keys.flatMap((k) => items.get(keyOf(k)) ?? []) } };
  }
  if (command instanceof UpdateCommand) return {}; // the request counter: within the limit
  if (command instanceof QueryCommand) return { Items: [] }; // carrier heartbeats, for dry runs: none
  throw new Error(`unexpected command ${(command as object).constructor.name}`);
}

let handler: (event: APIGatewayProxyEvent) => Promise<{ statusCode: number; headers?: Record<string, unknown>; body: string }>;

beforeAll(async () => {
  // The handler reads its environment and config at module load.
  Object.assign(process.env, { TABLE_NAME: 'messages', API_URL: TEST_API_URL, AWS_REGION: 'us-east-1', POWERTOOLS_METRICS_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'SILENT' });
  process.env.GATEWAY_RUNTIME_CONFIG = JSON.stringify(await runtimeConfigFor());
  vi.spyOn(DynamoDBDocumentClient.prototype, 'send').mockImplementation(dynamo as never);
  ({ handler } = (await import('../../lambdas/api/index.js')) as unknown as { handler: typeof handler });
});

function event(req: FuzzRequest): APIGatewayProxyEvent {
  return {
    httpMethod: req.method,
    path: req.path,
    resource: '/{proxy+}',
    pathParameters: { proxy: req.path.slice(1) },
    headers: { 'x-api-key': API_KEYS.acme, ...(req.contentType !== undefined ? { 'content-type': req.contentType } : {}) },
    multiValueHeaders: {},
    queryStringParameters: Object.keys(req.query).length ? req.query : null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    requestContext: { stage: 'live' } as APIGatewayProxyEvent['requestContext'],
    body: req.body,
    isBase64Encoded: false,
  };
}

describe('the API Lambda answers every bad request with a 4xx problem, never a 5xx, and stores nothing', () => {
  it('every kind of bad request, through the handler', async () => {
    await fc.assert(
      fc.asyncProperty(badRequests, async (req) => {
        const before = messageCount();
        const res = await handler(event(req));
        const contentType = Object.entries(res.headers ?? {}).find(([k]) => k.toLowerCase() === 'content-type')?.[1];
        expect(answerProblems(req, { status: res.statusCode, contentType: contentType as string | undefined, body: res.body }, messageCount() - before), `${req.name} → ${res.statusCode}`).toEqual([]);
      }),
      { numRuns: 200 * Number(process.env.FUZZ_SCALE ?? 1) },
    );
  });
});
