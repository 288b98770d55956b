/**
 * A worker process that dies mid-delivery, killed at an exact step: its
 * DynamoDB requests go through a proxy (test/support/dynamo-proxy.ts) that
 * holds one or reports it answered. Whatever it had in memory, the carrier-queue
 * message comes back after its visibility timeout and the next worker finishes
 * the message: neither lost nor stuck.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmscSimulator } from '../../simulator/smsc-simulator';
import { startWorker, type RunningWorker } from '../../worker/main';
import { DynamoProxy, type ProxiedRequest } from '../support/dynamo-proxy';
import { outputs, ukMobile, useLocalAws } from '../support/local';
import { send, smscAddress, spawnWorker, untilStatus, workerSettings } from '../support/worker-harness';

/** The SUBMITTED change of this message, item by item or as PartiQL: the only write that sets smscIds. */
const submittedWrite = (messageId: string) => (r: ProxiedRequest) => ['UpdateItem', 'BatchExecuteStatement'].includes(r.operation) && r.body.includes(messageId) && r.body.includes('smscIds');

let simA: SmscSimulator;
let simB: SmscSimulator;
let proxy: DynamoProxy;
let proxyUrl: string;
let next: RunningWorker | undefined;

beforeAll(async () => {
  useLocalAws();
  // Receipts come a few seconds after the response: after the worker that submitted has died.
  simA = new SmscSimulator({ systemId: 'gw-a', password: 'secret-a', receiptDelayMs: 3000, firstMessageId: 3_000_000 + (Date.now() % 1_000_000) * 1000 });
  simB = new SmscSimulator({ systemId: 'gw-b', password: 'secret-b', idFormat: 'hex' });
  await simA.start(0);
  await simB.start(0);
  proxy = new DynamoProxy(outputs().endpoint);
  proxyUrl = await proxy.start();
});

afterAll(async () => {
  await next?.stop();
  await proxy.stop();
  await simA.stop();
  await simB.stop();
});

/**
 * Longer than the carrier queue's visibility timeout, as in production (48 h): the local config's
 * 20 s would end a submitted message UNKNOWN before its queue message came back.
 */
const RECEIPT_TIMEOUT_SECONDS = 600;

/** A worker process whose DynamoDB requests go through the proxy. */
const crashingWorker = () => spawnWorker(workerSettings({ 'sim-a': simA.port!, 'sim-b': simB.port! }, 50), { AWS_ENDPOINT_URL_DYNAMODB: proxyUrl, RECEIPT_TIMEOUT_SECONDS: String(RECEIPT_TIMEOUT_SECONDS) });

describe('a worker that dies', () => {
  it('between the SMSC’s response and its write, or with the SMSC-id mappings in memory, loses neither message and leaves neither stuck', async () => {
    // Prepare, 1: a worker dies with the SUBMITTED write of message A on the wire (the SMSC has accepted A).
    const toA = ukMobile();
    const a = await send({ to: toA, text: 'crash before the write' });
    const heldWrite = proxy.hold(submittedWrite(a));
    const first = await crashingWorker();
    await heldWrite;
    first.child.kill('SIGKILL');
    await first.exited;
    // 2: a worker dies just after recording SUBMITTED for message B, its mapping only in memory.
    const toB = ukMobile();
    const b = await send({ to: toB, text: 'crash after the write' });
    const answered = proxy.answered(submittedWrite(b));
    const second = await crashingWorker();
    await answered;
    second.child.kill('SIGKILL');
    await second.exited;
    expect((await untilStatus(b, ['SUBMITTED'])).smscIds).toHaveLength(1);

    // Act: the next worker binds (the SMSC delivers the receipts it could not deliver) and, once the
    // queue messages come back, finishes both.
    const logs: string[] = [];
    next = await startWorker({ ...workerSettings({ 'sim-a': simA.port!, 'sim-b': simB.port! }, 50), healthPort: 0, receiptTimeoutSeconds: RECEIPT_TIMEOUT_SECONDS }, (event) => logs.push(event));

    // Assess: A submitted again (its first submission was never recorded), B once, both DELIVERED.
    await untilStatus(a, ['DELIVERED'], { timeoutMs: 150_000 });
    await untilStatus(b, ['DELIVERED'], { timeoutMs: 150_000 });
    const submitsTo = (to: string) => simA.submits().filter((s) => s.destination === smscAddress(to)).length;
    expect(submitsTo(toA)).toBe(2);
    expect(submitsTo(toB)).toBe(1);
    expect(logs).toContain('MAPPINGS_RESTORED');
  }, 240_000);
});
