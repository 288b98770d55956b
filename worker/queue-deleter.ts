/**
 * Deletes carrier-queue messages with DeleteMessageBatch: a deletion waits at
 * most `lingerMs` for others to join it, and a batch goes out as soon as it
 * holds 10 (the SQS maximum). At full speed that is one request per 10
 * messages instead of one each; at low rates it adds `lingerMs` to a message's
 * time on the queue, nothing else.
 *
 * Each caller learns the fate of its own message: an entry SQS reports as
 * failed rejects that caller only, so the message stays on the queue and comes
 * back (the worker then finds it no longer ROUTED and skips it).
 */
import { DeleteMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';

const MAX_BATCH = 10;

interface Pending {
  receiptHandle: string;
  resolve: () => void;
  reject: (err: Error) => void;
}

export class QueueDeleter {
  private pending: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly sqs: Pick<SQSClient, 'send'>,
    private readonly queueUrl: string,
    private readonly lingerMs = 20,
  ) {}

  /** Resolves once SQS has deleted the message; rejects when it has not. */
  delete(receiptHandle: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ receiptHandle, resolve, reject });
      if (this.pending.length >= MAX_BATCH) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.lingerMs);
    });
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    // delete() flushes at MAX_BATCH, so this takes everything pending.
    const batch = this.pending.splice(0);
    if (batch.length === 0) return;
    this.sqs
      .send(new DeleteMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: batch.map((p, i) => ({ Id: String(i), ReceiptHandle: p.receiptHandle })) }))
      .then(
        (out) => {
          const failed = new Map((out.Failed ?? []).map((f) => [f.Id, f]));
          batch.forEach((p, i) => {
            const f = failed.get(String(i));
            if (f) p.reject(new Error(`DeleteMessageBatch entry failed: ${f.Code ?? 'unknown'}${f.Message ? ` (${f.Message})` : ''}`));
            else p.resolve();
          });
        },
        (err: unknown) => {
          for (const p of batch) p.reject(err as Error);
        },
      );
  }
}
