/**
 * Log hygiene on the emulator: every log event of the stack's Lambda log groups
 * is read back from CloudWatch Logs and checked for full phone numbers and for
 * message text. The suite makes its own traffic first, through every function —
 * three messages (one with a callback URL, so the webhook function posts its
 * events), one invalid request, a dry run, a cancel and a sweep, each with a
 * marker text and number — so it needs no other suite to have run. Whatever the
 * other suites logged before it is scanned too.
 *
 * The worker's logs go to CloudWatch through the awslogs driver, which the
 * emulator does not run: test/unit/worker-log.test.ts covers its log function.
 */
import { randomUUID } from 'node:crypto';
import { CloudWatchLogsClient, DescribeLogGroupsCommand, FilterLogEventsCommand, type FilteredLogEvent } from '@aws-sdk/client-cloudwatch-logs';
import { GetFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { startWebhookReceiver, type WebhookReceiver } from '../support/e2e-harness';
import { clients, http, outputs, ukMobile, useLocalAws, waitFor } from '../support/local';

/** A full number: "+" and 10-15 digits, or a JSON string of 10-15 digits. Masked numbers hold "*". */
const FULL_NUMBER = /\+\d{10,15}(?!\d)|"\d{10,15}"/;

const run = randomUUID().slice(0, 8);
const markerTexts = [0, 1, 2].map((i) => `hygiene ${run} marker ${i}: the quick brown fox`);
const invalidText = `hygiene ${run} invalid: never logged`;
const numbers = [ukMobile(), ukMobile(), ukMobile()];
const accepted: string[] = [];
let groups: Array<{ functionName: string; logGroup: string; events: FilteredLogEvent[] }> = [];

/** This run's lines only: an emulator used before keeps the log groups, and lines of older code. */
const suiteStart = Date.now() - 5_000;

async function readAll(logs: CloudWatchLogsClient, logGroupName: string): Promise<FilteredLogEvent[]> {
  const events: FilteredLogEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await logs.send(new FilterLogEventsCommand({ logGroupName, startTime: suiteStart, ...(nextToken ? { nextToken } : {}) }));
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

/** The log events that are JSON lines (ours, and the runtime's platform lines), parsed. */
function jsonLines(events: FilteredLogEvent[]): Record<string, unknown>[] {
  return events.map((e) => (e.message ?? '').trim()).filter((m) => m.startsWith('{')).map((m) => JSON.parse(m) as Record<string, unknown>);
}

let receiver: WebhookReceiver;

beforeAll(async () => {
  useLocalAws();
  receiver = await startWebhookReceiver();
  for (const [i, text] of markerTexts.entries()) {
    const res = await http('POST', '/v1/messages', {
      body: { to: numbers[i], from: i === 0 ? '447700900123' : 'ACME', text, reference: `hygiene-${run}-${i}`, ...(i === 1 ? { callbackUrl: `${receiver.url}/hooks/hygiene` } : {}) },
    });
    expect(res.status).toBe(202);
    accepted.push(res.body.id);
  }
  // A landline destination: refused with 422, the text must not appear in the log of the refusal either.
  expect((await http('POST', '/v1/messages', { body: { to: '+442079460000', text: invalidText } })).status).toBe(422);
  expect((await http('POST', '/v1/messages?dryRun=true', { body: { to: numbers[0], text: markerTexts[0] } })).status).toBe(200);
  expect((await http('DELETE', `/v1/messages/${accepted[2]}`)).status).toBe(200);
  await clients().lambda.send(new InvokeCommand({ FunctionName: outputs().raw.SweeperFunctionName }));
  // The webhook function has posted the message's first events, and the log pipeline has had time to write.
  await waitFor('webhooks of the message with a callback URL', async () => (receiver.requests.some((r) => r.rawBody.includes(accepted[1]!)) ? true : undefined), 30_000);
  await new Promise((r) => setTimeout(r, 5_000));

  const out = outputs();
  const functionNames = Object.entries(out.raw)
    .filter(([key]) => key.endsWith('FunctionName'))
    .map(([, name]) => name);
  const lambda = clients().lambda;
  const logs = new CloudWatchLogsClient({});
  const existing = new Set<string>();
  let nextToken: string | undefined;
  do {
    const page = await logs.send(new DescribeLogGroupsCommand({ ...(nextToken ? { nextToken } : {}) }));
    for (const g of page.logGroups ?? []) if (g.logGroupName) existing.add(g.logGroupName);
    nextToken = page.nextToken;
  } while (nextToken);

  groups = [];
  for (const functionName of functionNames) {
    const config = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }));
    const logGroup = config.LoggingConfig?.LogGroup ?? `/aws/lambda/${functionName}`;
    expect(existing, `log group ${logGroup} of ${functionName}`).toContain(logGroup);
    groups.push({ functionName, logGroup, events: await readAll(logs, logGroup) });
  }
}, 180_000);

afterAll(async () => {
  await receiver?.close();
});

describe('Lambda logs in CloudWatch Logs', () => {
  it('are kept by the emulator: this suite sees its own messages logged', () => {
    // Without this the checks below could not fail: an emulator that drops logs would pass them.
    expect(groups.map((g) => g.functionName)).toEqual(expect.arrayContaining(Object.values(outputs().functions)));
    const all = groups.flatMap((g) => g.events.map((e) => e.message ?? ''));
    for (const id of accepted) expect(all.some((m) => m.includes(id) && m.includes('MESSAGE_ACCEPTED')), `MESSAGE_ACCEPTED of ${id}`).toBe(true);
    // The webhook function's line per invocation (its deliveries are DEBUG lines): one that delivered.
    const webhook = groups.find((g) => g.functionName === outputs().raw.WebhookFunctionName)!;
    const batches = jsonLines(webhook.events).filter((l) => l.message === 'WEBHOOK_BATCH');
    expect(batches.some((b) => Number(b.delivered) > 0), 'a WEBHOOK_BATCH line with a delivery').toBe(true);
  });

  it('hold one line per invocation of the outbox, the router and the webhook function, none per record (DEBUG)', () => {
    const perRecord: Record<string, string[]> = {
      [outputs().functions.outbox]: ['MESSAGE_ENQUEUED', 'STATUS_PUBLISHED'],
      [outputs().functions.router]: ['MESSAGE_ROUTED', 'MESSAGE_REJECTED', 'TRANSITION_SKIPPED'],
      [outputs().raw.WebhookFunctionName!]: ['WEBHOOK_DELIVERED'],
    };
    const outbox = groups.find((g) => g.functionName === outputs().functions.outbox)!;
    expect(jsonLines(outbox.events).some((l) => l.message === 'OUTBOX_BATCH'), 'an OUTBOX_BATCH line').toBe(true);
    for (const g of groups) {
      const events = perRecord[g.functionName] ?? [];
      expect(jsonLines(g.events).filter((l) => events.includes(String(l.message))), g.logGroup).toEqual([]);
    }
  });

  it('hold no full phone number', () => {
    const offending = groups.flatMap((g) => g.events.filter((e) => FULL_NUMBER.test(e.message ?? '')).map((e) => `${g.logGroup}: ${e.message}`));
    expect(offending).toEqual([]);
    // This suite's own numbers, in any form (also without the "+").
    const digits = [...numbers, '447700900123'].map((n) => n.replace(/\D/g, ''));
    for (const g of groups) for (const e of g.events) for (const d of digits) expect(e.message ?? '', g.logGroup).not.toContain(d);
  });

  it('hold no message text', () => {
    for (const g of groups) {
      for (const e of g.events) {
        const message = e.message ?? '';
        expect(message, g.logGroup).not.toContain(`hygiene ${run}`);
        expect(message, g.logGroup).not.toContain('the quick brown fox');
      }
    }
  });

  it('are structured JSON with an event name (besides the runtime platform lines)', () => {
    for (const g of groups) {
      const ours = g.events.map((e) => (e.message ?? '').trim()).filter((m) => m.startsWith('{') && !m.includes('"_aws"'));
      for (const m of ours) {
        const entry = JSON.parse(m) as Record<string, unknown>;
        if (typeof entry.type === 'string' && entry.type.startsWith('platform.')) continue;
        expect(typeof entry.message === 'string' || typeof entry.msg === 'string', m).toBe(true);
      }
    }
  });
});
