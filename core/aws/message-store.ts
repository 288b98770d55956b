/**
 * Message records in the table (MSG#<id> / MSG, see table-keys.ts), reached
 * through intention-revealing methods. Every status change is one conditional
 * UpdateItem built from a TransitionPlan (core/domain/transition.ts), so late or
 * duplicate events never move a message backwards.
 */
import { BatchGetCommand, type BatchGetCommandOutput, DynamoDBDocumentClient, GetCommand, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dueShard } from '../domain/deadlines';
import { listAt, listShard } from '../domain/message-list';
import type { RoutingFields } from '../domain/envelopes';
import type { MessageRecord, MessageStatus } from '../domain/message';
import { planLateSubmission, planTransition, type TransitionOptions, type TransitionPlan, type TransitionResult } from '../domain/transition';
import { dynamo } from './clients';
import { isConditionalCheckFailed, isTransactionCanceled, ItemKind, messageKey, recordOf, retryTimerKey } from './table-keys';

const DAY_SECONDS = 86_400;

/** The UpdateItem parts of a plan: SET every attribute, append the history entry, REMOVE, under the plan's condition. */
export function transitionUpdate(plan: TransitionPlan): {
  UpdateExpression: string;
  ConditionExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Record<string, unknown>;
} {
  // Every attribute through a placeholder: status, segment(s) and others are DynamoDB reserved words.
  const names: Record<string, string> = { '#history': 'history', '#status': 'status' };
  const values: Record<string, unknown> = { ':change': [plan.change] };
  const sets = ['#history = list_append(#history, :change)'];
  for (const [name, value] of Object.entries(plan.set)) {
    names[`#${name}`] = name;
    values[`:${name}`] = value;
    sets.push(`#${name} = :${name}`);
  }
  for (const name of plan.remove) names[`#${name}`] = name;
  plan.from.forEach((s, i) => (values[`:from${i}`] = s));
  let condition = `attribute_exists(pk) AND #status IN (${plan.from.map((_, i) => `:from${i}`).join(', ')})`;
  if (plan.expectedAttempt !== undefined) {
    names['#attempt'] = 'attempt';
    values[':expectedAttempt'] = plan.expectedAttempt;
    condition += ' AND #attempt = :expectedAttempt';
  }
  return {
    UpdateExpression: `SET ${sets.join(', ')}${plan.remove.length ? ` REMOVE ${plan.remove.map((n) => `#${n}`).join(', ')}` : ''}`,
    ConditionExpression: condition,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

export class MessageStore {
  constructor(
    private readonly tableName: string,
    private readonly retentionDays: number,
    private readonly client: DynamoDBDocumentClient = dynamo(),
  ) {}

  /**
   * Stores a new message (status ACCEPTED). Idempotent by id: when a record with
   * this id exists, nothing is written and the existing record is returned.
   */
  async create(record: MessageRecord): Promise<{ created: true } | { created: false; existing: MessageRecord }> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          // Retention counts from the end of validity, so even a message that never
          // reached a final state is cleaned up eventually; final states reset it.
          // In the due index until final: the sweeper expires it if validity runs out first.
          Item: {
            ...messageKey(record.id),
            kind: ItemKind.message,
            ...record,
            expiresAt: Math.floor(Date.parse(record.validUntil) / 1000) + this.retentionDays * DAY_SECONDS,
            dueShard: dueShard(record.id),
            dueAt: record.validUntil,
            // In the list index for good: GET /v1/messages.
            listShard: listShard(record.tenantId, record.id),
            listAt: listAt(record.createdAt, record.id),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return { created: true };
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw err;
      const existing = await this.get(record.id);
      if (!existing) throw new Error(`message ${record.id} exists but cannot be read`);
      return { created: false, existing };
    }
  }

  async get(id: string): Promise<MessageRecord | undefined> {
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: messageKey(id), ConsistentRead: true }));
    return out.Item ? recordOf(out.Item) : undefined;
  }

  async getMany(ids: string[]): Promise<MessageRecord[]> {
    const found: MessageRecord[] = [];
    for (let i = 0; i < ids.length; i += 100) {
      let keys: Record<string, unknown>[] | undefined = ids.slice(i, i + 100).map(messageKey);
      while (keys && keys.length > 0) {
        const out: BatchGetCommandOutput = await this.client.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys, ConsistentRead: true } } }));
        found.push(...(out.Responses?.[this.tableName] ?? []).map(recordOf));
        keys = out.UnprocessedKeys?.[this.tableName]?.Keys;
      }
    }
    return found;
  }

  async cancel(id: string): Promise<{ applied: boolean; current: MessageRecord | undefined }> {
    const result = await this.transition(id, 'CANCELED', { reason: 'canceled_by_client' });
    return result.applied ? { applied: true, current: result.record } : { applied: false, current: result.current };
  }

  /** The plan of a change to this store's records (final records are kept retentionDays). */
  plan(to: MessageStatus, options: TransitionOptions = {}): TransitionPlan {
    return planTransition(to, options, this.retentionDays);
  }

  /** The plan of SUBMITTED over a cancel or expiry that came while the SMSC accepted this attempt (planLateSubmission). */
  planLateSubmission(current: Pick<MessageRecord, 'id' | 'status' | 'attempt'>, options: TransitionOptions & { expectedAttempt: number }): TransitionPlan | undefined {
    return planLateSubmission(current, options, this.retentionDays);
  }

  /** Moves a message to `to` if its current status allows it (and the attempt matches, when given). */
  async transition(id: string, to: MessageStatus, options: TransitionOptions = {}): Promise<TransitionResult> {
    try {
      const out = await this.client.send(new UpdateCommand({ TableName: this.tableName, Key: messageKey(id), ...transitionUpdate(this.plan(to, options)), ReturnValues: 'ALL_NEW' }));
      return { applied: true, record: recordOf(out.Attributes ?? {}) };
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw err;
      return { applied: false, current: await this.get(id) };
    }
  }

  /**
   * RETRYING and its timer in one transaction. Two paths bring the message back,
   * both ending in the FIFO ingest queue with the same deduplication id: the
   * timer's TTL deletion (its REMOVE on the stream), and the sweeper, which finds
   * the message itself overdue in the due index (its dueAt is the next attempt).
   * False when the message was no longer on `currentAttempt` (ROUTED or SUBMITTED).
   */
  async scheduleRetry(timer: RetryTimer, currentAttempt: number, reason: string, carrierId: string | undefined, now = new Date()): Promise<boolean> {
    const dueAt = timer.dueAt.toISOString();
    // Its deadline becomes the next attempt: the sweeper brings it back even if the timer is gone.
    const plan = this.plan('RETRYING', { reason, attempt: currentAttempt, expectedAttempt: currentAttempt, ...(carrierId ? { carrierId } : {}), set: { nextAttemptAt: dueAt, dueAt }, now });
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            { Update: { TableName: this.tableName, Key: messageKey(timer.messageId), ...transitionUpdate(plan) } },
            {
              Put: {
                TableName: this.tableName,
                Item: {
                  ...retryTimerKey(timer.messageId, timer.nextAttempt),
                  kind: ItemKind.retryTimer,
                  ...timer,
                  dueAt,
                  // DynamoDB deletes it at its due time (minutes to hours late) and the stream REMOVE
                  // re-enqueues the attempt; the sweeper, working from the message's own deadline, does not wait for that.
                  expiresAt: Math.floor(timer.dueAt.getTime() / 1000),
                },
              },
            },
          ],
        }),
      );
      return true;
    } catch (err) {
      if (isTransactionCanceled(err)) return false;
      throw err;
    }
  }
}

/** A retry timer: the attempt it brings back, when, and what the ingest envelope of that attempt needs. */
export type RetryTimer = RoutingFields & {
  messageId: string;
  nextAttempt: number;
  dueAt: Date;
};
