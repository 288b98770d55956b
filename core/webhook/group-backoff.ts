/**
 * The backoff of a message group within one batch. The webhook queue is FIFO
 * with one group per message, and the batch processor skips the rest of a group
 * once one of its events fails (skipGroupOnError), so a message's events reach
 * the receiver in status order. The skipped events were never tried: they are
 * given the failed event's backoff, rather than coming back after the queue's
 * whole visibility timeout, and come back still in order.
 *
 * @example
 *   const backoff = new GroupBackoff(); // one per invocation
 *   backoff.remember(record.attributes.MessageGroupId, 45);
 *   await backoff.applyToFailed(event.Records, response, queue, onError);
 */
import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import type { WebhookQueue } from './webhook-queue';

export class GroupBackoff {
  private readonly delays = new Map<string, number>();

  /** The delay chosen for a failed event of `group` (a record without a group has nothing to hold back). */
  remember(group: string | undefined, delaySeconds: number): void {
    if (group) this.delays.set(group, delaySeconds);
  }

  /**
   * Gives every record the batch reported as failed, whose group has a delay,
   * that delay. A visibility change that fails goes to `onError`: that record
   * still comes back, after the queue's visibility timeout.
   */
  async applyToFailed(records: readonly SQSRecord[], response: SQSBatchResponse, queue: Pick<WebhookQueue, 'retryAfter'>, onError: (err: unknown) => void): Promise<void> {
    const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
    await Promise.all(
      records.flatMap((r) => {
        const delaySeconds = r.attributes.MessageGroupId === undefined ? undefined : this.delays.get(r.attributes.MessageGroupId);
        return failed.has(r.messageId) && delaySeconds !== undefined ? [queue.retryAfter(r.receiptHandle, delaySeconds).catch(onError)] : [];
      }),
    );
  }
}
