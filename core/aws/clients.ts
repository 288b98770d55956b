/**
 * AWS SDK clients, created once per process. Endpoints come from the standard
 * variables (AWS_ENDPOINT_URL for LocalStack/MiniStack), so the same code runs
 * against AWS and the emulator.
 *
 * Made for the hot path (the worker sends thousands of requests a second at full
 * load; `npm run bench` section 5 measures what each setting buys):
 * - keep-alive sockets, enough for the worker's concurrent batches and long polls;
 * - no logger middleware: with no logger configured it still computes a
 *   log-safe copy of every request and response (10–25% of a request's CPU);
 * - no user-agent middleware: it rebuilds and escapes the SDK's user-agent
 *   header on every request; AWS needs no User-Agent to serve a request;
 * - adaptive retries: a throttled batch is retried with client-side rate limiting,
 *   instead of three quick tries that all meet the same throttle.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';

/** Sockets per endpoint: the worker's batches, its long polls (one per carrier) and heartbeats, with room. */
export const MAX_SOCKETS = 64;

export interface HotPathOptions {
  /** @default true */
  keepAlive?: boolean;
  /** @default true */
  withoutLogger?: boolean;
  /** @default true */
  withoutUserAgent?: boolean;
  /** @default 'adaptive' */
  retryMode?: 'standard' | 'adaptive';
}

/** The client settings above, each one switchable (the bench compares them). */
export function hotPathConfig(options: HotPathOptions = {}) {
  const keepAlive = options.keepAlive ?? true;
  return {
    // The options of the SDK's own Node.js handler (a plain object: no direct @smithy dependency).
    requestHandler: { httpAgent: new HttpAgent({ keepAlive, maxSockets: MAX_SOCKETS }), httpsAgent: new HttpsAgent({ keepAlive, maxSockets: MAX_SOCKETS }) },
    retryMode: options.retryMode ?? 'adaptive',
  };
}

/** Takes the logger and user-agent middleware off a client (see above); the client is returned. */
export function trimMiddleware<C extends { middlewareStack: { remove(name: string): boolean } }>(client: C, options: HotPathOptions = {}): C {
  if (options.withoutLogger ?? true) client.middlewareStack.remove('loggerMiddleware');
  if (options.withoutUserAgent ?? true) client.middlewareStack.remove('getUserAgentMiddleware');
  return client;
}

let dynamoClient: DynamoDBDocumentClient | undefined;
let sqsClient: SQSClient | undefined;
let snsClient: SNSClient | undefined;

export function dynamoDocumentClient(options: HotPathOptions = {}): DynamoDBDocumentClient {
  return trimMiddleware(DynamoDBDocumentClient.from(trimMiddleware(new DynamoDBClient(hotPathConfig(options)), options), { marshallOptions: { removeUndefinedValues: true } }), options);
}

export function dynamo(): DynamoDBDocumentClient {
  dynamoClient ??= dynamoDocumentClient();
  return dynamoClient;
}

export function sqs(): SQSClient {
  sqsClient ??= trimMiddleware(new SQSClient(hotPathConfig()));
  return sqsClient;
}

export function sns(): SNSClient {
  snsClient ??= trimMiddleware(new SNSClient(hotPathConfig()));
  return snsClient;
}
