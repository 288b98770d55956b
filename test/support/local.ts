/**
 * What integration tests need to talk to the deployed stack: its outputs, an
 * HTTP client for the API, SDK clients on the emulator, and polling helpers.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { readLocalOutputs, type LocalOutputs } from '../../core/config/local-outputs';
import { OUTPUTS_FILE } from '../../scripts/deploy-local';
import { DEFAULT_ENDPOINT, localAwsEnv } from '../../scripts/emulator';

export function outputs(): LocalOutputs {
  return readLocalOutputs(OUTPUTS_FILE);
}

export function useLocalAws(): LocalOutputs {
  const out = outputs();
  Object.assign(process.env, localAwsEnv(out.endpoint));
  return out;
}

/**
 * The emulator's endpoint and credentials for this process, without the deployed
 * stack: for a file that makes its own tables (run with SKIP_DEPLOY=1, see global-setup.ts).
 */
export function useEmulator(): string {
  const endpoint = process.env.AWS_ENDPOINT_URL ?? DEFAULT_ENDPOINT;
  Object.assign(process.env, localAwsEnv(endpoint));
  return endpoint;
}

export const clients = () => ({
  dynamo: DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } }),
  sqs: new SQSClient({}),
  lambda: new LambdaClient({}),
});

export interface HttpResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export async function http<T = any>(
  method: string,
  path: string,
  options: { key?: string | null; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
): Promise<HttpResponse<T>> {
  const out = outputs();
  const headers: Record<string, string> = { ...options.headers };
  const key = options.key === undefined ? out.apiKey : options.key;
  if (key !== null) headers['x-api-key'] = key;
  let body: string | undefined = options.raw;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(`${out.apiUrl}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, body: parsed as T, text };
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Receives (and deletes) every message currently in a queue. */
export async function drain(sqs: SQSClient, queueUrl: string, idleRounds = 1): Promise<Message[]> {
  const all: Message[] = [];
  let idle = 0;
  while (idle < idleRounds) {
    const res = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 60 }));
    const msgs = res.Messages ?? [];
    if (msgs.length === 0) {
      idle++;
      continue;
    }
    all.push(...msgs);
    await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: msgs.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
  }
  return all;
}

/** The carrier envelope of a message, once it is on its carrier's queue (received and deleted, with whatever else was there). */
export async function onCarrierQueue(sqs: SQSClient, carrierId: string, messageId: string): Promise<Record<string, unknown>> {
  const queueUrl = outputs().carrierQueueUrls[carrierId];
  if (!queueUrl) throw new Error(`the stack has no queue for carrier ${carrierId}`);
  return waitFor(`message ${messageId} on the queue of ${carrierId}`, async () => {
    const got = await drain(sqs, queueUrl);
    return got.map((m) => JSON.parse(m.Body!) as Record<string, unknown>).find((e) => e.messageId === messageId);
  });
}

/** Resolves once a queue holds nothing, waiting or in flight: its consumer has taken (and deleted) what was sent to it. */
export async function queueEmpty(sqs: SQSClient, queueUrl: string, what: string, timeoutMs = 60_000): Promise<void> {
  await waitFor(`${what} to be empty`, async () => {
    const { Attributes: a } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
    return Number(a?.ApproximateNumberOfMessages) + Number(a?.ApproximateNumberOfMessagesNotVisible) === 0 ? true : undefined;
  }, timeoutMs);
}

/** A UK mobile number unique to this call (routes to the "uk" route). */
let counter = Math.floor(Math.random() * 900_000);
export function ukMobile(): string {
  counter = (counter + 1) % 1_000_000;
  return `+447400${String(counter).padStart(6, '0')}`;
}
