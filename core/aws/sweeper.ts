/**
 * The sweeper: every minute, every message in the due index whose time has come.
 * - RETRYING, its next attempt due: enqueue that attempt (the timer's TTL
 *   deletion does the same through the stream, minutes to hours later, or never
 *   on emulators; the FIFO ingest queue drops the duplicate, the router's claim
 *   any later one), and delete the timer;
 * - SCHEDULED, its sendAt come: enqueue attempt 1 (as a retry's; the router claims it
 *   SCHEDULED → ROUTED once, however often it is enqueued, and a canceled one not at all).
 *   It stays in the index until the router's claim moves its deadline to the end of
 *   validity, so a lost enqueue is made again by the next sweep: never lost, never twice;
 *   Unless its recipient opted out since its acceptance: then it is REJECTED opted_out;
 * - ACCEPTED or ROUTED past validity (or RETRYING or SCHEDULED past it): EXPIRED;
 * - SUBMITTED with its receipts overdue: UNKNOWN.
 * Every action is a conditional write, so a sweep that overlaps another, or a
 * worker, changes nothing twice.
 */
import { DeleteCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { allDueShards } from '../domain/deadlines';
import { ingestEnvelope } from '../domain/envelopes';
import type { MessageRecord } from '../domain/message';
import { OPTED_OUT_REASON } from '../domain/opt-outs';
import type { IngestQueue } from './queues';
import type { MessageStore } from './message-store';
import { ItemKind, messageIdOf, retryTimerKey } from './table-keys';

export interface SweepResult {
  timers: number;
  /** SCHEDULED messages handed to the router (again, when a sweep before did and the router has not claimed it yet). */
  scheduled: number;
  expired: number;
  unknown: number;
  /** SCHEDULED messages whose recipient opted out since their acceptance: REJECTED opted_out instead. */
  optedOut: number;
  skipped: number;
}

export class Sweeper {
  constructor(
    private readonly tableName: string,
    private readonly indexName: string,
    private readonly client: DynamoDBDocumentClient,
    private readonly messages: Pick<MessageStore, 'get' | 'transition'>,
    private readonly ingest: Pick<IngestQueue, 'enqueue'>,
    private readonly log: (event: string, data: Record<string, unknown>) => void = () => undefined,
    /**
     * Whether the recipient of a scheduled message opted out of it since it was accepted (the
     * API checked at acceptance; a schedule may wait 35 days). None given: nobody has.
     */
    private readonly optedOut: (message: MessageRecord) => Promise<boolean> = async () => false,
  ) {}

  async sweep(now = new Date(), maxPerShard = 500): Promise<SweepResult> {
    const result: SweepResult = { timers: 0, scheduled: 0, expired: 0, unknown: 0, optedOut: 0, skipped: 0 };
    await Promise.all(allDueShards().map((shard) => this.sweepShard(shard, now, maxPerShard, result)));
    return result;
  }

  private async sweepShard(shard: string, now: Date, max: number, result: SweepResult): Promise<void> {
    let startKey: Record<string, unknown> | undefined;
    let seen = 0;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: this.indexName,
          KeyConditionExpression: 'dueShard = :shard AND dueAt <= :now',
          ExpressionAttributeValues: { ':shard': shard, ':now': now.toISOString() },
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
          Limit: 100,
        }),
      );
      for (const item of page.Items ?? []) {
        seen++;
        await this.act(item, now, result);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey && seen < max);
  }

  private async act(item: Record<string, unknown>, now: Date, result: SweepResult): Promise<void> {
    const id = item.kind === ItemKind.message ? messageIdOf(String(item.pk)) : undefined;
    if (id === undefined) return;
    if (item.status === 'RETRYING') {
      const message = await this.messages.get(id);
      if (!message || message.status !== 'RETRYING') return; // moved on meanwhile
      if (now.getTime() < Date.parse(message.validUntil)) {
        const attempt = message.attempt + 1;
        await this.ingest.enqueue(ingestEnvelope({ ...message, messageId: id }, attempt));
        await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: retryTimerKey(id, attempt) }));
        result.timers++;
        this.log('RETRY_DUE', { messageId: id, attempt });
        return;
      }
    }
    if (item.status === 'SCHEDULED') {
      const message = await this.messages.get(id);
      if (!message || message.status !== 'SCHEDULED') return; // routed or canceled meanwhile
      if (now.getTime() < Date.parse(message.validUntil)) {
        if (await this.optedOut(message)) {
          // A STOP since acceptance ends it here, never sent (its acceptance's usage stands).
          const r = await this.messages.transition(id, 'REJECTED', { reason: OPTED_OUT_REASON });
          if (r.applied) {
            result.optedOut++;
            this.log('SCHEDULE_OPTED_OUT', { messageId: id });
          } else result.skipped++;
          return;
        }
        await this.ingest.enqueue(ingestEnvelope({ ...message, messageId: id }, 1));
        result.scheduled++;
        this.log('SCHEDULE_DUE', { messageId: id, sendAt: message.sendAt });
        return;
      }
    }
    if (item.status === 'SUBMITTED') {
      const r = await this.messages.transition(id, 'UNKNOWN', { reason: 'receipt_timeout' });
      if (r.applied) {
        result.unknown++;
        this.log('RECEIPT_TIMEOUT', { messageId: id });
      } else result.skipped++;
      return;
    }
    const r = await this.messages.transition(id, 'EXPIRED', { reason: 'validity_elapsed' });
    if (r.applied) {
      result.expired++;
      this.log('MESSAGE_EXPIRED', { messageId: id });
    } else result.skipped++;
  }
}
