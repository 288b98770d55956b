/**
 * Deletes carrier-queue messages with DeleteMessageBatch: a deletion waits at
 * most `lingerMs` for others to join it, and a batch goes out as soon as it
 * holds 10 (the SQS maximum) — the Batcher every coalesced request of the worker
 * uses. At full speed that is one request per 10 messages instead of one each; at
 * low rates it adds `lingerMs` to a message's time on the queue, nothing else.
 *
 * Each caller learns the fate of its own message: an entry SQS reports as
 * failed rejects that caller only, so the message stays on the queue and comes
 * back (the worker then finds it no longer ROUTED and skips it).
 */
import { DeleteMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { Batcher } from '../core/util/batcher';

const MAX_BATCH = 10;

export class QueueDeleter {
  private readonly batcher: Batcher<string, void>;

  constructor(
    private readonly sqs: Pick<SQSClient, 'send'>,
    private readonly queueUrl: string,
    lingerMs = 20,
  ) {
    this.batcher = new Batcher({ maxWeight: MAX_BATCH, lingerMs, flush: (handles) => this.deleteBatch(handles) });
  }

  /** Resolves once SQS has deleted the message; rejects when it has not. */
  delete(receiptHandle: string): Promise<void> {
    return this.batcher.add(receiptHandle);
  }

  private async deleteBatch(handles: string[]): Promise<(void | Error)[]> {
    const out = await this.sqs.send(new DeleteMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: handles.map((h, i) => ({ Id: String(i), ReceiptHandle: h })) }));
    const failed = new Map((out.Failed ?? []).map((f) => [f.Id, f]));
    return handles.map((_, i) => {
      const f = failed.get(String(i));
      return f ? new Error(`DeleteMessageBatch entry failed: ${f.Code ?? 'unknown'}${f.Message ? ` (${f.Message})` : ''}`) : undefined;
    });
  }
}
