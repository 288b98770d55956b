/**
 * End to end, as `npm run local` runs it: the deployed stack on the emulator,
 * two SMSC simulators with behaviours (sim-a enforces a TPS limit the worker
 * is configured to match; sim-b drops its connection once and sends receipts
 * before responses), the SMPP worker, and a webhook receiver on 127.0.0.1.
 * A few hundred messages go in over the API — single and batch, GSM-7 and
 * UCS-2, one and several segments, UK (route uk → sim-a) and DE (route de →
 * sim-b), two tenants — and every one must come out DELIVERED, with its
 * receipt correlated, every status change signed and POSTed in order, and no
 * submit repeated beyond what the dropped connection allows. Then the CLI
 * against the same stack.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateQueueCommand, DeleteMessageBatchCommand, DeleteQueueCommand, ListQueuesCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhook } from '../../core/domain/webhook';
import { pauseTtl, startGateway, startWebhookReceiver, untilAll, webhookSecrets, type E2eGateway, type WebhookReceiver } from '../support/e2e-harness';
import { clients, http, outputs, ukMobile, useLocalAws, waitFor } from '../support/local';
import { REPO_ROOT, smscAddress } from '../support/worker-harness';

const SIM_A_TPS = 20;
const SIM_B_DROP_AFTER = 25;
const FLAKY_PATH = '/hooks/flaky';

const TEXTS = {
  gsmShort: (n: number) => `Your code is ${String(n).padStart(6, '0')}`,
  ucsShort: (n: number) => `Привет ${n} 😀`,
  gsmLong: (n: number) => `${n} ${'All work and no play makes Jack a dull boy. {€} '.repeat(4)}`, // > 160 septets: 2 parts
  ucsLong: (n: number) => `${n} ${'Привет 😀 '.repeat(10)}`, // > 70 UCS-2 units: 2 parts
};
const KINDS = Object.keys(TEXTS) as (keyof typeof TEXTS)[];

let deCounter = Math.floor(Math.random() * 9_000_000);
function deMobile(): string {
  deCounter = (deCounter + 1) % 10_000_000;
  return `+491512${String(deCounter).padStart(7, '0')}`;
}

interface Sent {
  id: string;
  to: string;
  country: 'UK' | 'DE';
  tenant: 'acme' | 'globex';
  flaky: boolean;
}

let gateway: E2eGateway;
let receiver: WebhookReceiver;
let secrets: Record<string, string>;
let resumeTtl: (() => Promise<void>) | undefined;
const sent: Sent[] = [];
/** Answers to the scenario's submissions that did not accept everything. */
const refusals: string[] = [];
let views = new Map<string, any>();

/** The status event a webhook request carries, parsed. */
const eventOf = (rawBody: string) => JSON.parse(rawBody) as { eventId: string; messageId: string; tenantId: string; status: string };
const seqOf = (eventId: string) => Number(eventId.slice(eventId.lastIndexOf(':') + 1));

/**
 * The scenario's traffic: the flaky one first, then batches, then singles (a few at a time),
 * for two tenants. Every answer that is not a 202 accepting everything is kept in `refusals`.
 */
async function submitAll(): Promise<void> {
  const callbackUrl = `${receiver.url}/hooks/e2e`;
  const item = (i: number, country: 'UK' | 'DE') => {
    const to = country === 'UK' ? ukMobile() : deMobile();
    return { to, text: TEXTS[KINDS[i % KINDS.length]!](i), reference: `e2e-${i}`, callbackUrl };
  };

  // The flaky one first, then batches, then singles (a few at a time).
  const flakyTo = ukMobile();
  const flaky = await http('POST', '/v1/messages', { body: { to: flakyTo, text: 'retry my last webhook', callbackUrl: `${receiver.url}${FLAKY_PATH}` } });
  refusals.push(...answerProblems('the flaky one', flaky));
  if (flaky.status === 202) sent.push({ id: flaky.body.id, to: flakyTo, country: 'UK', tenant: 'acme', flaky: true });

  const batches: { country: 'UK' | 'DE'; size: number }[] = [
    { country: 'UK', size: 100 },
    { country: 'UK', size: 60 },
    { country: 'DE', size: 40 },
  ];
  let n = 0;
  for (const { country, size } of batches) {
    const messages = Array.from({ length: size }, () => item(n++, country));
    const res = await http('POST', '/v1/messages/batch', { body: { messages } });
    refusals.push(...answerProblems(`a batch of ${size} to ${country}`, res));
    for (const r of res.status === 202 ? (res.body.results as { index: number; id: string }[]) : []) sent.push({ id: r.id, to: messages[r.index]!.to, country, tenant: 'acme', flaky: false });
  }

  const singles = Array.from({ length: 40 }, (_, i) => ({ country: (i % 2 === 0 ? 'UK' : 'DE') as 'UK' | 'DE', tenant: (i % 4 === 1 ? 'globex' : 'acme') as 'acme' | 'globex' }));
  for (let i = 0; i < singles.length; i += 5) {
    await Promise.all(
      singles.slice(i, i + 5).map(async ({ country, tenant }) => {
        const body = item(n++, country);
        const res = await http('POST', '/v1/messages', { body, key: outputs().apiKeys[tenant]![0]! });
        refusals.push(...answerProblems(`a single message of ${tenant}`, res));
        if (res.status === 202) sent.push({ id: res.body.id, to: body.to, country, tenant, flaky: false });
      }),
    );
  }
}

/** What is wrong with the answer to one submission (nothing when it accepted everything). */
function answerProblems(what: string, res: { status: number; text: string; body: any }): string[] {
  if (res.status !== 202) return [`${what}: ${res.status} ${res.text.slice(0, 300)}`];
  return res.body.rejected > 0 ? [`${what}: ${res.body.rejected} rejected`] : [];
}

beforeAll(async () => {
  useLocalAws();
  resumeTtl = await pauseTtl(outputs().tableName);
  secrets = await webhookSecrets();
  // The chosen message's last event (DELIVERED) is answered 500 twice, then accepted. Not its
  // first: the webhook function fails the later events of the same FIFO group without a
  // backoff (skipGroupOnError), so they would wait out the queue's 180 s visibility timeout.
  receiver = await startWebhookReceiver(({ path, rawBody, previous }) => {
    if (path !== FLAKY_PATH) return 204;
    const event = eventOf(rawBody);
    const failedBefore = previous.filter((r) => r.path === FLAKY_PATH && r.answered === 500 && eventOf(r.rawBody).eventId === event.eventId).length;
    return event.status === 'DELIVERED' && failedBefore < 2 ? 500 : 204;
  });
  gateway = await startGateway({
    'sim-a': { simulator: { tps: SIM_A_TPS, receiptDelayMs: 100 }, tps: SIM_A_TPS },
    'sim-b': { simulator: { dropAfterSubmits: SIM_B_DROP_AFTER, receiptBeforeResponse: true }, tps: 50 },
  });
  // The scenario runs here, whole, so that each test below reads its results in any order.
  await submitAll();
  views = await untilAll(
    sent.map((s) => ({ id: s.id, key: outputs().apiKeys[s.tenant]![0]! })),
    ['DELIVERED', 'UNDELIVERED', 'FAILED', 'EXPIRED', 'REJECTED', 'UNKNOWN', 'CANCELED'],
    { timeoutMs: 150_000, sweepEveryMs: 2_000 },
  );
}, 300_000);

afterAll(async () => {
  await gateway?.stop();
  await receiver?.close();
  await resumeTtl?.();
});

describe('a few hundred messages, end to end', () => {
  it('accepts single and batch submissions for two tenants', () => {
    expect(refusals).toEqual([]);
    expect(sent).toHaveLength(241);
    expect(new Set(sent.map((s) => s.to)).size).toBe(sent.length); // one destination per message: the simulators' view is per message
  });

  it('delivers every message (retries run through the sweeper)', () => {
    const notDelivered = sent.filter((s) => views.get(s.id)?.status !== 'DELIVERED').map((s) => `${s.id} ${views.get(s.id)?.status} ${views.get(s.id)?.reason ?? ''}`);
    expect(notDelivered).toEqual([]);
  });

  it('correlates every receipt: state DELIVERED and one SMSC id per segment, on the routed carrier', () => {
    const multipart = sent.filter((s) => views.get(s.id).segments > 1);
    expect(multipart.length).toBeGreaterThan(50);
    expect(new Set(sent.map((s) => views.get(s.id).encoding))).toEqual(new Set(['GSM7', 'UCS2']));
    for (const s of sent) {
      const m = views.get(s.id);
      expect(m.receipt, s.id).toMatchObject({ state: 'DELIVERED' });
      expect(m.smscIds, s.id).toHaveLength(m.segments);
      expect(m.carrierId, s.id).toBe(s.country === 'UK' ? 'sim-a' : 'sim-b');
    }
    // sim-a never failed, so UK messages took the straight path; sim-b's drop made some DE messages retry.
    for (const s of sent.filter((x) => x.country === 'UK')) {
      expect(views.get(s.id).history.map((h: { status: string }) => h.status), s.id).toEqual(['ACCEPTED', 'ROUTED', 'SUBMITTED', 'DELIVERED']);
    }
    const retried = sent.filter((s) => views.get(s.id).history.some((h: { status: string }) => h.status === 'RETRYING'));
    expect(retried.length).toBeGreaterThan(0);
  });

  it('POSTs every status change, signed, in status order; a failed POST is retried', async () => {
    const ours = new Set(sent.map((s) => s.id));
    const received = () => receiver.requests.filter((r) => ours.has(eventOf(r.rawBody).messageId));
    // Prepare: wait until every history entry of every message has been acknowledged once.
    let missing: string[] = [];
    try {
      await waitFor(
        'a webhook for every status change',
        async () => {
          const acked = new Set(received().filter((r) => r.answered < 300).map((r) => eventOf(r.rawBody).eventId));
          missing = sent.flatMap((s) => views.get(s.id).history.map((h: { status: string }, seq: number) => `${s.id}:${seq} ${h.status}`)).filter((e) => !acked.has(e.split(' ')[0]!));
          return missing.length === 0 ? true : undefined;
        },
        90_000,
        500,
      );
    } catch (err) {
      throw new Error(`${(err as Error).message}: ${missing.length} missing, e.g. ${missing.slice(0, 8).join(', ')}`);
    }
    const requests = received();

    // Every request carries a valid signature with its tenant's secret, and Webhook-Id = eventId.
    for (const r of requests) {
      const event = eventOf(r.rawBody);
      const secret = secrets[event.tenantId];
      expect(secret, event.tenantId).toBeDefined();
      expect(verifyWebhook(secret!, String(r.headers['webhook-signature']), r.rawBody, Math.floor(r.at / 1000)), event.eventId).toBe(true);
      expect(r.headers['webhook-id']).toBe(event.eventId);
    }
    expect(new Set(requests.map((r) => eventOf(r.rawBody).tenantId))).toEqual(new Set(['acme', 'globex']));

    // Per message, in arrival order: never an earlier status after a later one, and the statuses are the history.
    for (const s of sent) {
      const mine = requests.filter((r) => eventOf(r.rawBody).messageId === s.id);
      const seqs = mine.map((r) => seqOf(eventOf(r.rawBody).eventId));
      expect(seqs, s.id).toEqual([...seqs].sort((a, b) => a - b));
      const statuses = [...new Map(mine.map((r) => [eventOf(r.rawBody).eventId, eventOf(r.rawBody).status])).values()];
      expect(statuses, s.id).toEqual(views.get(s.id).history.map((h: { status: string }) => h.status));
      expect(statuses.join(' '), s.id).toMatch(/^ACCEPTED (ROUTED RETRYING )*ROUTED SUBMITTED DELIVERED$/);
    }

    // The flaky receiver's DELIVERED event: 500, 500, then acknowledged — the same event each time, re-signed.
    const flaky = sent.find((s) => s.flaky)!;
    const lastSeq = views.get(flaky.id).history.length - 1;
    const attempts = requests.filter((r) => eventOf(r.rawBody).eventId === `${flaky.id}:${lastSeq}`);
    expect(attempts.map((r) => r.answered)).toEqual([500, 500, 204]);
    expect(new Set(attempts.map((r) => r.rawBody)).size).toBe(1);
    expect(new Set(attempts.map((r) => r.headers['webhook-signature'])).size).toBe(3);
  }, 120_000);

  it('submits each message once, except at most one window around the dropped connection', () => {
    const simA = gateway.sims['sim-a']!;
    const simB = gateway.sims['sim-b']!;
    const simBConfig = gateway.settings.carriers.find((c) => c.config.id === 'sim-b')!.config;
    const inFlight = simBConfig.binds * simBConfig.window;

    // sim-a: the worker keeps to the TPS the SMSC enforces. Seen from the SMSC, transit and
    // event-loop jitter on a busy machine can still squeeze N+1 into a second now and then
    // (the limiter's margin is 50 ms): such a submit is refused (not accepted) and sent again.
    const accepted = simA.submits().filter((r) => r.commandStatus === 0).length;
    expect(simA.throttledCount()).toBeLessThanOrEqual(Math.ceil(accepted * 0.02));
    expect(Math.max(...simA.acceptedPerSecond())).toBeLessThanOrEqual(SIM_A_TPS);
    // Each UK message once per segment. Known exception (reported to the worker's owners): when a
    // later part of a multi-part message is throttled, the worker resends the whole message
    // within the attempt, parts already accepted included — so only a throttle may explain a repeat.
    for (const s of sent.filter((x) => x.country === 'UK')) {
      const seen = simA.submits().filter((r) => r.destination === smscAddress(s.to));
      const segments = views.get(s.id).segments;
      const accepted = seen.filter((r) => r.commandStatus === 0).length;
      const throttled = seen.filter((r) => r.commandStatus === 0x58).length;
      expect(seen.filter((r) => r.commandStatus !== 0 && r.commandStatus !== 0x58), s.id).toEqual([]);
      expect(accepted - segments, `${s.id}: ${accepted} accepted submits for ${segments} segments, ${throttled} throttled`).toBeGreaterThanOrEqual(0);
      expect(accepted - segments, `${s.id}: ${accepted} accepted submits for ${segments} segments, ${throttled} throttled`).toBeLessThanOrEqual((segments - 1) * throttled);
      expect(simB.submits().some((r) => r.destination === smscAddress(s.to)), s.id).toBe(false);
    }

    // sim-b: the connection was dropped once, and only what was in flight then was submitted again.
    expect(simB.submits().filter((r) => r.commandStatus === -1)).toHaveLength(1);
    // The worker holds at most binds × window messages in flight, so at most that many were cut
    // off by the drop and sent again, each once more as a whole (parts accepted before it included).
    let repeatedMessages = 0;
    for (const s of sent.filter((x) => x.country === 'DE')) {
      const seen = simB.submits().filter((r) => r.destination === smscAddress(s.to));
      const segments = views.get(s.id).segments;
      expect(seen.filter((r) => r.commandStatus === 0).length, s.id).toBeGreaterThanOrEqual(segments);
      const extra = seen.length - segments;
      expect(extra, `${s.id}: ${seen.length} submits for ${segments} segments`).toBeLessThanOrEqual(segments);
      if (extra > 0) repeatedMessages++;
    }
    expect(repeatedMessages).toBeGreaterThan(0);
    expect(repeatedMessages).toBeLessThanOrEqual(inFlight);
  });
});

describe('the smsgw CLI against the stack', () => {
  const cli = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [join(REPO_ROOT, 'cli', 'smsgw.js'), ...args], { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });

  it('status <id> --json prints the message as the API has it', () => {
    const s = sent.find((x) => x.tenant === 'acme' && x.country === 'DE')!;
    const res = cli(['status', s.id, '--json']);
    expect(res.status, res.stderr).toBe(0);
    const shown = JSON.parse(res.stdout);
    expect(shown).toMatchObject({ id: s.id, status: 'DELIVERED', carrierId: 'sim-b', smscIds: views.get(s.id).smscIds });

    const human = cli(['status', s.id]);
    expect(human.status).toBe(0);
    expect(human.stdout.split('\n')[0]).toBe(`${s.id}  DELIVERED`);
    expect(human.stdout).toMatch(/receipt\s+DELIVERED/);
  });

  it('prints a problem as one line and exits 1', () => {
    const res = cli(['send', '+4930123456', 'to a landline']);
    expect(res.status).toBe(1);
    expect(res.stderr.trim().split('\n').at(-1)).toMatch(/^error 422: to: /);
  });

  it('send --wait follows a message to DELIVERED, and tail shows its events, then cleans up', async () => {
    const { sqs } = clients();
    const to = ukMobile();
    // tail first, so it is subscribed before the message exists.
    const tail = spawn(process.execPath, [join(REPO_ROOT, 'cli', 'smsgw.js'), 'tail', '--json'], { cwd: REPO_ROOT, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    tail.stdout.on('data', (d) => (out += String(d)));
    tail.stderr.on('data', (d) => (err += String(d)));
    try {
      await waitFor('tail subscribed', async () => (err.includes('following status events') ? true : undefined), 20_000);
      const send = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [join(REPO_ROOT, 'cli', 'smsgw.js'), 'send', to, 'Hello from the CLI', '--wait', '--json', '--timeout', '60'], { cwd: REPO_ROOT, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d) => (stdout += String(d)));
        child.stderr.on('data', (d) => (stderr += String(d)));
        // 'close', not 'exit': output can still be in the pipe when the process has exited.
        child.once('close', (code) => resolve({ code, stdout, stderr }));
      });
      expect(send.code, send.stderr).toBe(0);
      const message = JSON.parse(send.stdout);
      expect(message).toMatchObject({ status: 'DELIVERED', carrierId: 'sim-a' });
      const events = await waitFor(
        'four events of the message on tail',
        async () => {
          const complete = out.slice(0, out.lastIndexOf('\n') + 1); // a chunk can end mid-line
          const mine = complete.split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((e) => e.messageId === message.id);
          return mine.length >= 4 ? mine : undefined;
        },
        30_000,
      );
      expect(events.map((e: { status: string }) => e.status)).toEqual(['ACCEPTED', 'ROUTED', 'SUBMITTED', 'DELIVERED']);
    } finally {
      tail.kill('SIGINT');
    }
    expect(tail.exitCode ?? (await new Promise((r) => tail.once('exit', r)))).toBe(0);
    const left = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'smsgw-tail-' }));
    expect(left.QueueUrls ?? []).toEqual([]);
  }, 90_000);

  it('dlq list shows every dead-letter queue; dlq redrive moves messages back, keeping their group', async () => {
    const list = cli(['dlq', 'list', '--json']);
    expect(list.status, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout).map((r: { name: string }) => r.name)).toEqual(['ingest', 'carrier:sim-a', 'carrier:sim-b', 'webhooks', 'outbox-failures']);

    // Redrive against a throwaway pair of FIFO queues, so the stack's queues are left alone.
    const { sqs } = clients();
    const suffix = Date.now().toString(36);
    const source = (await sqs.send(new CreateQueueCommand({ QueueName: `e2e-source-${suffix}.fifo`, Attributes: { FifoQueue: 'true' } }))).QueueUrl!;
    const dlq = (await sqs.send(new CreateQueueCommand({ QueueName: `e2e-dlq-${suffix}.fifo`, Attributes: { FifoQueue: 'true' } }))).QueueUrl!;
    const dir = mkdtempSync(join(tmpdir(), 'smsgw-'));
    try {
      for (let i = 0; i < 12; i++) {
        await sqs.send(new SendMessageCommand({ QueueUrl: dlq, MessageBody: `{"n":${i}}`, MessageGroupId: `group-${i % 3}`, MessageDeduplicationId: `dedup-${i}` }));
      }
      const file = join(dir, 'outputs.json');
      writeFileSync(file, JSON.stringify({ endpoint: outputs().endpoint, apiUrl: outputs().apiUrl, apiKey: outputs().apiKey, ingestQueueUrl: source, ingestDlqUrl: dlq }));
      const res = cli(['dlq', 'redrive', 'ingest', '--outputs', file, '--json']);
      expect(res.status, res.stderr).toBe(0);
      expect(JSON.parse(res.stdout)).toMatchObject({ queue: 'ingest', moved: 12 });
      const back: { body: string; group: string | undefined }[] = [];
      for (let round = 0; round < 5 && back.length < 12; round++) {
        const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: source, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageSystemAttributeNames: ['MessageGroupId'] }));
        const messages = got.Messages ?? [];
        back.push(...messages.map((m) => ({ body: m.Body!, group: m.Attributes?.MessageGroupId })));
        // FIFO: a group's next message comes only once the one before is deleted.
        if (messages.length > 0) await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: source, Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
      }
      expect(back.map((b) => b.body).sort()).toEqual(Array.from({ length: 12 }, (_, i) => `{"n":${i}}`).sort());
      expect(back.every((b) => b.group === `group-${JSON.parse(b.body).n % 3}`)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await sqs.send(new DeleteQueueCommand({ QueueUrl: source }));
      await sqs.send(new DeleteQueueCommand({ QueueUrl: dlq }));
    }
  }, 60_000);
});
