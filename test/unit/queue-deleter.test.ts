/**
 * QueueDeleter: how deletions are grouped into DeleteMessageBatch requests, and
 * that each caller learns the fate of its own message (SQS client stubbed: the
 * worker's integration tests delete through MiniStack).
 */
import { DeleteMessageBatchCommand, type DeleteMessageBatchCommandOutput } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { QueueDeleter } from '../../worker/queue-deleter';

type Answer = (command: DeleteMessageBatchCommand) => Promise<Partial<DeleteMessageBatchCommandOutput>>;

function stubSqs(answer: Answer = async () => ({ Successful: [] })) {
  const batches: string[][] = [];
  const sqs = {
    send: async (command: unknown) => {
      if (!(command instanceof DeleteMessageBatchCommand)) throw new Error('unexpected command');
      batches.push((command.input.Entries ?? []).map((e) => e.ReceiptHandle!));
      return answer(command);
    },
  };
  return { sqs: sqs as never, batches };
}

describe('QueueDeleter', () => {
  it('sends 25 deletions made together as batches of 10, 10 and 5', async () => {
    // Prepare
    const { sqs, batches } = stubSqs();
    const deleter = new QueueDeleter(sqs, 'q', 5);
    // Act
    await Promise.all(Array.from({ length: 25 }, (_, i) => deleter.delete(`h${i}`)));
    // Assess
    expect(batches.map((b) => b.length)).toEqual([10, 10, 5]);
    expect(batches.flat()).toEqual(Array.from({ length: 25 }, (_, i) => `h${i}`));
  });

  it('sends a lone deletion after the linger time', async () => {
    const { sqs, batches } = stubSqs();
    const deleter = new QueueDeleter(sqs, 'q', 30);
    const started = Date.now();
    await deleter.delete('only');
    expect(batches).toEqual([['only']]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
  });

  it('rejects only the callers whose entries failed', async () => {
    // Prepare: SQS fails the second entry of the batch
    const { sqs } = stubSqs(async () => ({ Successful: [{ Id: '0' }, { Id: '2' }], Failed: [{ Id: '1', Code: 'ReceiptHandleIsInvalid', SenderFault: true, Message: 'expired' }] }));
    const deleter = new QueueDeleter(sqs, 'q', 5);
    // Act
    const results = await Promise.allSettled(['a', 'b', 'c'].map((h) => deleter.delete(h)));
    // Assess
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason.message).toBe('DeleteMessageBatch entry failed: ReceiptHandleIsInvalid (expired)');
  });

  it('rejects every caller of a batch whose request failed, and goes on with the next batch', async () => {
    // Prepare
    let calls = 0;
    const { sqs } = stubSqs(async () => {
      if (calls++ === 0) throw Object.assign(new Error('socket hang up'), { name: 'NetworkingError' });
      return { Successful: [] };
    });
    const deleter = new QueueDeleter(sqs, 'q', 5);
    // Act
    const first = await Promise.allSettled(['a', 'b'].map((h) => deleter.delete(h)));
    const second = await Promise.allSettled([deleter.delete('c')]);
    // Assess
    expect(first.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(second.map((r) => r.status)).toEqual(['fulfilled']);
  });
});
