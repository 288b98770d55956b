/**
 * The SMPP worker over real TCP against the SMSC simulators, with its state in
 * the emulator: submission, receipts, segmentation, TPS, dropped connections,
 * early receipts and hex ids, inbound messages, and the drain on SIGTERM.
 */
import { spawn } from 'node:child_process';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InboundStore, REASSEMBLY_WINDOW_MS } from '../../core/aws/inbound-store';
import { ItemKind, smscIdKey } from '../../core/aws/table-keys';
import { normaliseSmscId } from '../../core/domain/receipt';
import { buildSubmitPdus } from '../../core/domain/submit-pdus';
import { concatReference } from '../../worker/carrier-worker';
import { passwordVariable } from '../../worker/settings';
import { clients, drain, http, outputs, ukMobile, useLocalAws, waitFor } from '../support/local';
import { REPO_ROOT, seedRouted, send, smscAddress, spawnWorker, startHarness, statusesOf, untilStatus, workerSettings, type Harness } from '../support/worker-harness';

let h: Harness;

beforeAll(async () => {
  useLocalAws();
  h = await startHarness(50);
}, 60_000);

afterAll(async () => {
  await h?.stop();
});

describe('submitting', () => {
  it('takes a message to DELIVERED with its receipt correlated', async () => {
    const id = await send({ to: ukMobile(), text: 'Your code is 424242' });
    const message = await untilStatus(id, ['DELIVERED']);
    expect(message.history.map((c: { status: string }) => c.status)).toEqual(['ACCEPTED', 'ROUTED', 'SUBMITTED', 'DELIVERED']);
    expect(message.smscIds).toHaveLength(1);
    expect(message.receipt).toMatchObject({ state: 'DELIVERED' });
    expect(message.carrierId).toBe('sim-a');
    // Its carrier-queue message was deleted (in a DeleteMessageBatch), not left to come back.
    const queueUrl = outputs().carrierQueueUrls['sim-a']!;
    await waitFor('the carrier queue to be empty', async () => {
      const { Attributes: a } = await clients().sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
      return Number(a?.ApproximateNumberOfMessages) + Number(a?.ApproximateNumberOfMessagesNotVisible) === 0 ? true : undefined;
    }, 5_000);
  });

  it.each([
    ['GSM-7', 'All work and no play makes Jack a dull boy. {€} '.repeat(7)],
    ['UCS-2', 'Привет 😀 '.repeat(20)],
  ])('splits a long %s message into exactly the expected segments', async (_name, text) => {
    const to = ukMobile();
    const id = await send({ to, text });
    const message = await untilStatus(id, ['DELIVERED']);
    const expected = buildSubmitPdus({ to, text, encoding: message.encoding, validUntil: message.validUntil, concatReference: concatReference(id, 1) }, 'udh');
    const seen = h.simA.submits().filter((s) => s.destination === smscAddress(to) && s.commandStatus === 0);
    expect(seen.map((s) => s.shortMessage.toString('hex'))).toEqual(expected.map((p) => p.short_message.toString('hex')));
    expect(seen.every((s) => s.esmClass === 0x40 && s.registeredDelivery === 1)).toBe(true);
    expect(message.smscIds).toHaveLength(expected.length);
    expect(message.segments).toBe(expected.length);
  });

  it('never exceeds the carrier TPS, so a simulator enforcing the same limit throttles nothing', async () => {
    // A worker of its own at 5 TPS: a limit the worker exceeds easily even on a slow, shared
    // emulator, so the limit is what holds it back (the connection-level tests check it at speed).
    await h.stop();
    const t = await startHarness(5);
    try {
      await checkTps(t, 5);
    } finally {
      await t.stop();
      h = await startHarness(50);
    }
  }, 180_000);

  async function checkTps(h: Harness, limit: number) {
    // Prepare: a burst of routed messages straight on the carrier queue (seedRouted).
    const throttledBefore = h.simA.throttledCount();
    const started = Date.now();
    // Act
    const burst = await seedRouted('sim-a', 40, 'rate check');
    await waitFor('all submitted', async () => {
      const seen = new Set(h.simA.submits().filter((s) => s.at >= started && s.commandStatus === 0).map((s) => s.destination));
      return burst.every(({ to }) => seen.has(smscAddress(to))) ? true : undefined;
    }, 60_000);
    // Assess
    expect(h.simA.throttledCount()).toBe(throttledBefore);
    const perSecond = h.simA.acceptedPerSecond();
    expect(Math.max(...perSecond)).toBeLessThanOrEqual(limit);
    const last = burst[burst.length - 1]!;
    await waitFor('the last one DELIVERED', async () => ((await statusesOf([last.id])).get(last.id) === 'DELIVERED' ? true : undefined), 30_000);
  }

  it('loses nothing when the connection drops mid-window, and duplicates at most the unanswered window', async () => {
    const tos = Array.from({ length: 20 }, () => ukMobile());
    h.simA.behave({ dropAfterSubmits: 5 });
    const res = await http('POST', '/v1/messages/batch', { body: { messages: tos.map((to) => ({ to, text: 'drop test' })) } });
    for (const r of res.body.results) await untilStatus(r.id, ['DELIVERED'], { timeoutMs: 90_000, sweepEveryMs: 2_000 });
    const submitsPer = tos.map((to) => h.simA.submits().filter((s) => s.destination === smscAddress(to)).length);
    const duplicates = submitsPer.reduce((sum, n) => sum + Math.max(0, n - 1), 0);
    expect(submitsPer.every((n) => n >= 1)).toBe(true);
    expect(duplicates).toBeLessThanOrEqual(h.settings.carriers[0]!.config.window);
  });

  it('correlates receipts that arrive before submit_sm_resp, with hex ids in responses and decimal in receipts', async () => {
    h.simB.behave({ receiptBeforeResponse: true });
    try {
      const id = await send({ to: '+4915123456789', text: 'Schnell!' });
      const message = await untilStatus(id, ['DELIVERED']);
      expect(message.carrierId).toBe('sim-b');
      expect(message.smscIds[0]).toMatch(/^[0-9a-f]+$/i);
    } finally {
      h.simB.behave({ receiptBeforeResponse: false });
    }
  });
});

describe('SMSC ids used again', () => {
  it('applies a receipt that overtakes its submit_sm_resp to the new message when an earlier, delivered message left a mapping with the same SMSC id', async () => {
    // Prepare: a delivered message, then a mapping of that message at the id sim-b gives next (an SMSC that restarted its counter).
    const first = await untilStatus(await send({ to: '+4915123456701', text: 'first' }), ['DELIVERED']);
    const nextId = (parseInt(first.smscIds[0], 16) + 1).toString(16).toUpperCase();
    const key = normaliseSmscId(nextId, 'hex', 'response');
    await clients().dynamo.send(
      new PutCommand({
        TableName: outputs().tableName,
        Item: { ...smscIdKey('sim-b', key), kind: ItemKind.smscId, messageId: first.id, segment: 0, segments: 1, attempt: 1, historyIndex: first.history.length - 1, submittedAt: first.submittedAt },
      }),
    );
    h.simB.behave({ receiptBeforeResponse: true });
    try {
      // Act
      const second = await untilStatus(await send({ to: '+4915123456702', text: 'second' }), ['DELIVERED', 'UNKNOWN'], { timeoutMs: 30_000 });
      // Assess: the receipt went to the new message; the earlier one is as it was.
      expect(second.smscIds[0]).toBe(nextId);
      expect(second.status).toBe('DELIVERED');
      expect((await untilStatus(first.id, ['DELIVERED'])).history).toEqual(first.history);
    } finally {
      h.simB.behave({ receiptBeforeResponse: false });
    }
  });
});

describe('inbound messages', () => {
  it('publishes a two-part UCS-2 message once, reassembled', async () => {
    const { sqs } = clients();
    const queue = await sqs.send(new CreateQueueCommand({ QueueName: `inbound-test-${Date.now()}` }));
    const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queue.QueueUrl!, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
    await new SNSClient({}).send(new SubscribeCommand({ TopicArn: outputs().raw.InboundTopicArn!, Protocol: 'sqs', Endpoint: arn, Attributes: { RawMessageDelivery: 'true' } }));
    const text = 'Ответ: да, приходите завтра в 10:00 🙂 '.repeat(3);
    // A sender of its own: a new simulator starts its concatenation references at 1 again.
    const from = `+4474009${String(Date.now() % 100_000).padStart(5, '0')}`;
    await h.simA.sendInbound({ from, to: '60777', text, encoding: 'UCS2', parts: 2 });
    const received = await waitFor('the inbound event', async () => {
      const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queue.QueueUrl!, WaitTimeSeconds: 1, MaxNumberOfMessages: 10 }));
      return out.Messages?.length ? out.Messages : undefined;
    });
    await new Promise((r) => setTimeout(r, 2000));
    const more = await drain(sqs, queue.QueueUrl!);
    expect(received.length + more.length).toBe(1);
    const event = JSON.parse(received[0]!.Body!);
    expect(event).toMatchObject({ version: 1, type: 'inbound', carrierId: 'sim-a', from, parts: 2, text });
  });

  it('publishes a later message that reuses a concatenation reference, once its window has passed, and not a resent part', async () => {
    // Prepare: the inbound store on the deployed table; a message's two parts, stored two hours ago.
    const store = new InboundStore(outputs().tableName, clients().dynamo);
    const from = `+4474008${String(Date.now() % 100_000).padStart(5, '0')}`;
    const part = (text: string, sequence: number) => ({ carrierId: 'sim-a', from, to: '60777', text, dataCoding: 0, concat: { reference: 7, total: 2, sequence } });
    const before = new Date(Date.now() - 2 * REASSEMBLY_WINDOW_MS);
    expect(await store.addPart(part('first ', 1), before)).toBeUndefined();
    const first = await store.addPart(part('message', 2), before);
    await first!.confirm();
    // Act: a resent part of it now, then a new message with the same reference.
    const resent = await store.addPart(part('message', 2), new Date(before.getTime() + 60_000));
    expect(await store.addPart(part('second ', 1))).toBeUndefined();
    const second = await store.addPart(part('one', 2));
    // Assess
    expect(resent).toBeUndefined();
    expect(first!.message.text).toBe('first message');
    expect(second?.message.text).toBe('second one');
    expect(second?.message.id).not.toBe(first!.message.id);
  });
});

describe('shutdown', () => {
  it('drains on SIGTERM: answers in the window are recorded, the bind is closed, nothing is lost', async () => {
    // Prepare: only the child process works the queues; the simulator answers slowly.
    await h.worker.stop();
    h.simA.behave({ responseDelayMs: 1500 });
    const worker = await spawnWorker(workerSettings({ 'sim-a': h.simA.port!, 'sim-b': h.simB.port! }, 50), { DRAIN_SECONDS: '20' });
    const submitsBefore = h.simA.submits().length;
    const ids = await Promise.all(Array.from({ length: 5 }, () => send({ to: ukMobile(), text: 'drain me' })));
    await waitFor('submits in flight', async () => (h.simA.submits().length > submitsBefore ? true : undefined), 20_000);

    // Act
    worker.child.kill('SIGTERM');
    const code = await worker.exited;

    // Assess: clean exit, unbind seen, and every message either recorded or still queued for the next worker.
    expect(code).toBe(0);
    expect(worker.output()).toContain('WORKER_STOPPED');
    expect(h.simA.records.some((r) => r.command === 'unbind')).toBe(true);
    // The messages not yet submitted are still on the queue: a new worker delivers them.
    const fresh = await startHarness(50);
    try {
      for (const id of ids) await untilStatus(id, ['DELIVERED'], { timeoutMs: 60_000, sweepEveryMs: 2_000 });
    } finally {
      await fresh.stop();
    }
  });
});
