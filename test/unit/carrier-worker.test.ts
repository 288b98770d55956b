/**
 * The worker's handling of a message the SMSC accepted while its record moved
 * on: SUBMITTED recorded over a cancel that came too late is said so (a log line
 * for people, a callback for the metric); one that was not recorded at all is
 * said so too. Either way the message was sent, counts as submitted, and its
 * queue message goes once its mappings are settled. The queue, the connection
 * and the store are in-memory stand-ins.
 */
import { ChangeMessageVisibilityCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { describe, expect, it, vi } from 'vitest';
import type { Submitted } from '../../core/aws/delivery-store';
import { CarrierConfig } from '../../core/config/schema';
import { carrierEnvelope } from '../../core/domain/envelopes';
import { CarrierWorker } from '../../worker/carrier-worker';
import type { SubmitOutcome } from '../../worker/smpp/carrier-connection';
import { carrierInput, messageRecord, NOW } from '../support/factories';

const carrier = CarrierConfig.parse(carrierInput('c-a'));
const routed = messageRecord({ status: 'ROUTED', attempt: 1, carrierId: 'c-a' });
const queueMessage: Message = { MessageId: 'q-1', ReceiptHandle: 'rh-1', Body: JSON.stringify(carrierEnvelope(routed, 'c-a', 1)), Attributes: { ApproximateReceiveCount: '1' } };

/** A worker whose connection answers `outcome` and whose store answers `submitted`; resolves `deleted` with the receipt handles of the first deletion. */
function workerWith(submitted: Submitted, outcome: SubmitOutcome = { kind: 'accepted', smscIds: ['4711'] }) {
  const logs: { event: string; data: Record<string, unknown> }[] = [];
  const late = vi.fn();
  const outcomes: string[] = [];
  let received = false;
  let onDeleted!: (handles: string[]) => void;
  const deleted = new Promise<string[]>((r) => (onDeleted = r));
  const visibility: number[] = [];
  const scheduleRetry = vi.fn();
  const sqs = {
    send: async (command: unknown) => {
      if (command instanceof ReceiveMessageCommand) {
        await new Promise((r) => setImmediate(r));
        if (received) return { Messages: [] };
        received = true;
        return { Messages: [queueMessage] };
      }
      if (command instanceof DeleteMessageBatchCommand) onDeleted((command.input.Entries ?? []).map((e) => e.ReceiptHandle!));
      if (command instanceof ChangeMessageVisibilityCommand) visibility.push(command.input.VisibilityTimeout!);
      return {};
    },
  };
  const worker = new CarrierWorker({
    carrier,
    connection: { bindsUp: () => 1, submit: async () => outcome },
    queueUrl: 'memory://c-a',
    sqs: sqs as never,
    messages: { transition: vi.fn() },
    delivery: { readRecords: async () => new Map([[routed.id, routed]]), recordSubmitted: async () => submitted, restoreMappings: vi.fn() },
    scheduleRetry,
    retryPolicy: { retryBaseSeconds: 2, retryMaxSeconds: 10 },
    log: (event, data = {}) => logs.push({ event, data }),
    onOutcome: (outcome) => outcomes.push(outcome),
    onLateSubmission: late,
    waitTimeSeconds: 0,
    now: () => NOW,
  });
  return { worker, logs, late, outcomes, deleted, visibility, scheduleRetry };
}

async function submitOne(submitted: Submitted) {
  const w = workerWith(submitted);
  w.worker.start();
  const handles = await w.deleted;
  await w.worker.stop(1_000);
  return { ...w, handles };
}

describe('a message the SMSC accepted while its record moved on', () => {
  it('recorded SUBMITTED over a cancel that came too late: says so, counts it, and deletes its queue message', async () => {
    // Act
    const w = await submitOne({ applied: true, replaced: 'CANCELED', settled: Promise.resolve() });

    // Assess
    expect(w.logs.find((l) => l.event === 'SUBMITTED_OVER_FINAL')?.data).toEqual({ messageId: routed.id, attempt: 1, carrierId: 'c-a', replaced: 'CANCELED', reason: 'cancel_too_late' });
    expect(w.late).toHaveBeenCalledWith({ recordedOver: 'CANCELED' }, expect.objectContaining({ messageId: routed.id }));
    expect(w.outcomes).toEqual(['submitted']);
    expect(w.handles).toEqual(['rh-1']);
  });

  it('not recorded (another submission of the attempt decided it): says what the record is, counts it, and deletes its queue message', async () => {
    const w = await submitOne({ applied: false, current: 'FAILED', settled: Promise.resolve() });
    expect(w.logs.find((l) => l.event === 'SUBMITTED_NOT_RECORDED')?.data).toEqual({ messageId: routed.id, attempt: 1, carrierId: 'c-a', status: 'FAILED' });
    expect(w.late).toHaveBeenCalledWith({ notRecorded: 'FAILED' }, expect.objectContaining({ messageId: routed.id }));
    expect(w.outcomes).toEqual(['submitted']);
    expect(w.handles).toEqual(['rh-1']);
  });

  it('recorded as usual: reports nothing late', async () => {
    const w = await submitOne({ applied: true, settled: Promise.resolve() });
    expect(w.logs.map((l) => l.event)).toEqual(['MESSAGE_SUBMITTED']);
    expect(w.late).not.toHaveBeenCalled();
  });
});

describe('a message no bind took (the binds were being handed to another task)', () => {
  it('goes back on the queue at once for the same attempt: no retry scheduled, nothing deleted', async () => {
    // Prepare
    const w = workerWith({ applied: true, settled: Promise.resolve() }, { kind: 'unsent' });
    // Act
    w.worker.start();
    await vi.waitFor(() => expect(w.outcomes).toEqual(['released']));
    await w.worker.stop(1_000);
    // Assess
    expect(w.visibility).toEqual([0]);
    expect(w.scheduleRetry).not.toHaveBeenCalled();
    expect(w.logs.map((l) => l.event)).toEqual(['SUBMIT_RELEASED']);
  });
});
