/**
 * One carrier's delivery loop: long-polls the carrier queue while this task holds a bind
 * of the carrier (the queue follows the leases),
 * submits each message through the carrier connection, records the outcome,
 * and only then deletes the queue message (in batches, see QueueDeleter). A message whose outcome is unknown
 * (timeout, lost bind) stays on the queue and is submitted again: never lost.
 */
import {
  ChangeMessageVisibilityCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { DeliveryStore, Submitted } from '../core/aws/delivery-store';
import type { MessageStore, RetryTimer } from '../core/aws/message-store';
import { decideRetry, MAX_THROTTLED_RECEIVES, type RetryPolicy } from '../core/domain/deadlines';
import type { CarrierConfig } from '../core/config/schema';
import { CarrierEnvelope, routingFieldsOf } from '../core/domain/envelopes';
import type { MessageRecord, MessageStatus } from '../core/domain/message';
import { normaliseSmscId } from '../core/domain/receipt';
import { buildSubmitPdus } from '../core/domain/submit-pdus';
import { OUTRANKED_BY_SUBMISSION } from '../core/domain/transition';
import type { Log } from './log';
import { QueueDeleter } from './queue-deleter';
import type { CarrierConnection, SubmitOutcome } from './smpp/carrier-connection';


export interface CarrierWorkerDeps {
  carrier: CarrierConfig;
  connection: Pick<CarrierConnection, 'bindsUp' | 'submit'>;
  queueUrl: string;
  sqs: SQSClient;
  messages: Pick<MessageStore, 'transition'>;
  delivery: Pick<DeliveryStore, 'readRecords' | 'recordSubmitted' | 'restoreMappings'>;
  /** Records RETRYING with its timer, atomically (scheduleRetry). */
  scheduleRetry: (timer: RetryTimer, currentAttempt: number, reason: string, carrierId: string) => Promise<boolean>;
  retryPolicy: RetryPolicy;
  log: Log;
  /**
   * Called once per message outcome, for metrics: `latencyMs` is this worker's
   * handling time; `acceptedAt` the message's acceptance by the API (its record's
   * createdAt), when the record was read.
   */
  onOutcome?: (outcome: DeliveryOutcome, envelope: CarrierEnvelope, latencyMs: number, acceptedAt?: Date) => void;
  /**
   * Called when the SMSC accepted a message whose record moved on while it did, for metrics
   * (LateSubmissions, UnrecordedSubmissions): SUBMITTED recorded over a cancel or expiry, or not recorded.
   */
  onLateSubmission?: (late: LateSubmission, envelope: CarrierEnvelope) => void;
  /** @default 20 (SQS long-poll maximum) */
  waitTimeSeconds?: number;
  now?: () => Date;
}

/** A submission whose record moved on meanwhile: SUBMITTED recorded over a cancel or an expiry, or not recorded (what the record was instead). */
export type LateSubmission = { recordedOver: MessageStatus } | { notRecorded: MessageStatus | 'MISSING' };

/** `throttled`: the SMSC asked to slow down; the message is offered again within the same attempt. */
/** `released`: no bind took it, nothing was sent; it is back on the queue for the same attempt. */
export type DeliveryOutcome = 'submitted' | 'failed' | 'expired' | 'retry' | 'throttled' | 'skipped' | 'released';

/**
 * Throttling (the carrier's "slow down") is a short wait within the same
 * attempt: the message becomes visible again after this many seconds. Past
 * MAX_THROTTLED_RECEIVES it counts as a transient failure.
 */
export function throttleDelaySeconds(receiveCount: number): number {
  return Math.min(20, receiveCount);
}
export { MAX_THROTTLED_RECEIVES };

export class CarrierWorker {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly settling = new Set<Promise<void>>();
  private stopping = false;
  private loop: Promise<void> | undefined;
  private readonly now: () => Date;
  private readonly deleter: QueueDeleter;

  constructor(private readonly deps: CarrierWorkerDeps) {
    this.deleter = new QueueDeleter(deps.sqs, deps.queueUrl);

    this.now = deps.now ?? (() => new Date());
  }

  /**
   * Enough messages in flight to keep the window of every bind this task holds full, and as
   * many again whose submit_sm_resp came and whose coalesced writes and deletion are on their
   * way (up to a linger each): counting those against the window would leave it half empty.
   */
  private capacity(): number {
    return 2 * Math.max(1, this.deps.connection.bindsUp()) * this.deps.carrier.window;
  }

  get outstanding(): number {
    return this.inFlight.size;
  }

  start(): void {
    this.loop = this.run();
  }

  /** Stops pulling, then waits (at most drainMs) for messages in flight. */
  async stop(drainMs: number): Promise<void> {
    this.stopping = true;
    // The current long poll is not aborted: an aborted receive still takes messages on the
    // queue's side, which then stay invisible for the whole visibility timeout. It ends within
    // waitTimeSeconds, and what it brings back is released at once (see run()).
    await this.loop;
    const drained = Promise.all([...this.inFlight]).then(() => true);
    const timedOut = new Promise<boolean>((r) => setTimeout(() => r(false), drainMs).unref());
    if (!(await Promise.race([drained, timedOut]))) {
      this.deps.log('DRAIN_INCOMPLETE', { carrierId: this.deps.carrier.id, outstanding: this.inFlight.size });
    }
  }

  private async run(): Promise<void> {
    const { carrier, connection, sqs, queueUrl, log } = this.deps;
    while (!this.stopping) {
      if (connection.bindsUp() === 0) {
        // No bind: leave messages on the queue instead of pulling and returning them.
        await sleep(250);
        continue;
      }
      const room = this.capacity() - this.inFlight.size;
      if (room <= 0) {
        await Promise.race(this.inFlight);
        continue;
      }
      let messages: Message[] = [];
      try {
        const out = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: Math.min(10, room),
            WaitTimeSeconds: this.deps.waitTimeSeconds ?? 20,
            MessageSystemAttributeNames: ['ApproximateReceiveCount'],
          }),
        );
        messages = out.Messages ?? [];
        if (this.stopping) {
          await this.release(messages);
          break;
        }
      } catch (err) {
        if (this.stopping) break;
        log('QUEUE_RECEIVE_FAILED', { carrierId: carrier.id, error: (err as Error).name });
        await sleep(1000);
        continue;
      }
      // One consistent read for the whole group: which of them are still ROUTED for their attempt.
      const envelopes = messages.map((m) => this.envelopeOf(m));
      const ids = envelopes.flatMap((e) => (e ? [e.messageId] : []));
      const records = ids.length > 0 ? this.deps.delivery.readRecords(ids) : Promise.resolve(new Map<string, MessageRecord>());
      records.catch(() => undefined); // each message's task reports a failed read itself
      for (const [i, message] of messages.entries()) {
        const envelope = envelopes[i];
        if (!envelope) continue; // never deletable by us: after maxReceiveCount it moves to the carrier DLQ for inspection
        const task = this.process(message, envelope, records).catch((err: unknown) => {
          // Left on the queue: it becomes visible again and is retried.
          log('RECORD_FAILED', { carrierId: carrier.id, error: (err as Error).name, detail: (err as Error).message });
        });
        this.inFlight.add(task);
        void task.finally(() => this.inFlight.delete(task));
      }
    }
  }

  /** The message's envelope, or undefined (logged) when it is not one. */
  private envelopeOf(message: Message): CarrierEnvelope | undefined {
    let body: unknown;
    try {
      body = JSON.parse(message.Body ?? 'null');
    } catch {
      body = undefined;
    }
    const parsed = CarrierEnvelope.safeParse(body);
    if (parsed.success) return parsed.data;
    this.deps.log('ENVELOPE_INVALID', { carrierId: this.deps.carrier.id, problems: body === undefined ? ['(body): not JSON'] : parsed.error.issues.map((i) => i.path.join('.')) });
    return undefined;
  }

  private async process(message: Message, envelope: CarrierEnvelope, records: Promise<Map<string, MessageRecord>>): Promise<void> {
    const { carrier, connection, messages, delivery, log } = this.deps;
    const started = Date.now();
    let acceptedAt: Date | undefined;
    const done = async (outcome: DeliveryOutcome) => {
      await this.delete(message);
      this.deps.onOutcome?.(outcome, envelope, Date.now() - started, acceptedAt);
    };

    // Guard against duplicates and cancellations: only a ROUTED message of this attempt is submitted.
    const record = (await records).get(envelope.messageId);
    if (record?.createdAt) acceptedAt = new Date(record.createdAt);
    if (record?.status === 'SUBMITTED' && record.attempt === envelope.attempt && record.smscIds) {
      // Submitted, but its queue message came back: the process that submitted it may have died with its
      // SMSC-id mappings in memory (core/aws/pending-mappings.ts). Written now, receipts find the message.
      await delivery.restoreMappings(envelope, record.smscIds.map((id) => normaliseSmscId(id, carrier.receiptIdFormat, 'response')), record);
      log('MAPPINGS_RESTORED', { messageId: envelope.messageId, attempt: envelope.attempt, segments: record.smscIds.length });
      return done('skipped');
    }
    if (!record || record.status !== 'ROUTED' || record.attempt !== envelope.attempt) {
      log('SUBMIT_SKIPPED', { messageId: envelope.messageId, attempt: envelope.attempt, status: record?.status ?? 'MISSING' });
      return done('skipped');
    }
    if (this.now().getTime() > Date.parse(envelope.validUntil)) {
      await messages.transition(envelope.messageId, 'EXPIRED', { reason: 'validity_elapsed', expectedAttempt: envelope.attempt });
      return done('expired');
    }

    const pdus = buildSubmitPdus(
      {
        to: envelope.to,
        ...(envelope.from !== undefined ? { from: envelope.from } : {}),
        text: envelope.text,
        encoding: envelope.encoding,
        validUntil: envelope.validUntil,
        concatReference: concatReference(envelope.messageId, envelope.attempt),
      },
      carrier.splitMode,
    );
    const outcome: SubmitOutcome = await connection.submit(pdus);
    if (outcome.kind === 'accepted') {
      const keys = outcome.smscIds.map((id) => normaliseSmscId(id, carrier.receiptIdFormat, 'response'));
      const submitted = await delivery.recordSubmitted({ envelope, smscIds: outcome.smscIds, keys, historyLength: record.history.length });
      log('MESSAGE_SUBMITTED', { messageId: envelope.messageId, attempt: envelope.attempt, carrierId: carrier.id, segments: pdus.length, latencyMs: Date.now() - started });
      this.reportLate(envelope, submitted);
      this.deps.onOutcome?.('submitted', envelope, Date.now() - started, acceptedAt);
      // The queue message stays until no SMSC-id mapping of it is only in memory: if this process dies
      // first, it comes back and the mappings are restored (above).
      this.settle(submitted.settled.then(() => this.delete(message)));
      return;
    }
    if (outcome.kind === 'rejected' && !outcome.status.retryable) {
      const reason = `${outcome.status.name} (0x${outcome.status.code.toString(16).padStart(8, '0')})`;
      await messages.transition(envelope.messageId, 'FAILED', { reason, expectedAttempt: envelope.attempt, carrierId: carrier.id });
      log('MESSAGE_FAILED', { messageId: envelope.messageId, carrierId: carrier.id, reason });
      return done('failed');
    }
    if (outcome.kind === 'unsent') {
      // No bind of this task took it (they were handed to another task, or lost): nothing reached the
      // SMSC, so it goes back on the queue for whichever task holds the binds, the same attempt.
      log('SUBMIT_RELEASED', { messageId: envelope.messageId, carrierId: carrier.id, attempt: envelope.attempt });
      await this.release([message]);
      this.deps.onOutcome?.('released', envelope, Date.now() - started, acceptedAt);
      return;
    }
    const why = outcome.kind === 'rejected' ? outcome.status.name : outcome.reason;
    const receiveCount = Number(message.Attributes?.ApproximateReceiveCount ?? '1');
    if (outcome.kind === 'rejected' && outcome.status.kind === 'throttled' && receiveCount < MAX_THROTTLED_RECEIVES) {
      const delay = throttleDelaySeconds(receiveCount);
      log('THROTTLED', { messageId: envelope.messageId, carrierId: carrier.id, status: why, receiveCount, delaySeconds: delay });
      await this.deps.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: this.deps.queueUrl, ReceiptHandle: message.ReceiptHandle!, VisibilityTimeout: delay }));
      this.deps.onOutcome?.('throttled', envelope, Date.now() - started, acceptedAt);
      return;
    }
    // Transient failure or unknown outcome: a new attempt after a backoff, possibly on another carrier.
    const decision = decideRetry(envelope.attempt, carrier.maxAttempts, envelope.validUntil, this.now(), this.deps.retryPolicy, why);
    if (decision.action === 'fail') {
      await messages.transition(envelope.messageId, 'FAILED', { reason: decision.reason, expectedAttempt: envelope.attempt, carrierId: carrier.id });
      log('MESSAGE_FAILED', { messageId: envelope.messageId, carrierId: carrier.id, reason: decision.reason });
      return done('failed');
    }
    if (decision.action === 'expire') {
      await messages.transition(envelope.messageId, 'EXPIRED', { reason: decision.reason, carrierId: carrier.id });
      return done('expired');
    }
    const timer: RetryTimer = { messageId: envelope.messageId, nextAttempt: decision.nextAttempt, dueAt: decision.dueAt, ...routingFieldsOf(record) };
    const scheduled = await this.deps.scheduleRetry(timer, envelope.attempt, `${outcome.kind === 'unknown' ? 'outcome_unknown' : 'transient'}: ${why}`, carrier.id);
    log('SUBMIT_RETRY', { messageId: envelope.messageId, carrierId: carrier.id, reason: why, nextAttempt: decision.nextAttempt, dueAt: decision.dueAt.toISOString(), scheduled, acceptedSegments: outcome.acceptedSmscIds.length });
    return done('retry');
  }

  /**
   * The SMSC accepted a message whose record moved on while it did. A cancel or an expiry that came
   * meanwhile is replaced by SUBMITTED (the message was sent, and its receipts decide it); anything
   * else came from another submission of this attempt, which recorded itself: this one's receipts
   * will find no message.
   */
  private reportLate(envelope: CarrierEnvelope, submitted: Submitted): void {
    const at = { messageId: envelope.messageId, attempt: envelope.attempt, carrierId: this.deps.carrier.id };
    if (submitted.applied && submitted.replaced) {
      this.deps.log('SUBMITTED_OVER_FINAL', { ...at, replaced: submitted.replaced, reason: OUTRANKED_BY_SUBMISSION[submitted.replaced] });
      this.deps.onLateSubmission?.({ recordedOver: submitted.replaced }, envelope);
    } else if (!submitted.applied) {
      this.deps.log('SUBMITTED_NOT_RECORDED', { ...at, status: submitted.current });
      this.deps.onLateSubmission?.({ notRecorded: submitted.current }, envelope);
    }
  }

  /** Hands messages back to the queue for another worker, visible again at once. */
  private async release(messages: Message[]): Promise<void> {
    await Promise.all(
      messages.map((m) =>
        this.deps.sqs
          .send(new ChangeMessageVisibilityCommand({ QueueUrl: this.deps.queueUrl, ReceiptHandle: m.ReceiptHandle!, VisibilityTimeout: 0 }))
          .catch((err: unknown) => this.deps.log('RELEASE_FAILED', { carrierId: this.deps.carrier.id, error: (err as Error).name })),
      ),
    );
  }

  private delete(message: Message): Promise<void> {
    return this.deleter.delete(message.ReceiptHandle!);
  }

  /** A submitted message's deletion, once its mappings are settled: not counted against the window. */
  private settle(deletion: Promise<void>): void {
    const task = deletion.catch((err: unknown) => {
      // Left on the queue: it comes back, and its mappings are restored.
      this.deps.log('RECORD_FAILED', { carrierId: this.deps.carrier.id, error: (err as Error).name, detail: (err as Error).message });
    });
    this.settling.add(task);
    void task.finally(() => this.settling.delete(task));
  }

  /** Waits for the deletions of submitted messages; call after DeliveryStore.drain() has written their mappings. */
  async settled(): Promise<void> {
    while (this.settling.size > 0) await Promise.all([...this.settling]);
  }
}

/** The concatenation reference of a message attempt: stable across resubmissions of the same attempt. */
export function concatReference(messageId: string, attempt: number): number {
  let h = attempt;
  for (let i = 0; i < messageId.length; i++) h = (h * 31 + messageId.charCodeAt(i)) >>> 0;
  return h & 0xff;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
