/** Moving a dead-letter queue's messages back to the queue they came from (dlq redrive). */
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageBatchCommand, SQSClient, StartMessageMoveTaskCommand, type SendMessageBatchRequestEntry } from '@aws-sdk/client-sqs';
import { queueArn } from './aws';
import { UsageError } from './command-line';
import type { DlqTarget } from './dlq-targets';

/** Errors that mean "this SQS does not do StartMessageMoveTask" (emulators), not "you may not". */
function moveTaskUnsupported(err: unknown): boolean {
  const e = err as { name?: string; Code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  return /InvalidAction|UnsupportedOperation|UnknownOperation|NotImplemented|InvalidParameterValue/i.test(`${e.name} ${e.Code ?? ''} ${e.message ?? ''}`) || e.$metadata?.httpStatusCode === 501;
}

export interface RedriveResult {
  queue: string;
  method: 'move-task' | 'copy';
  moved?: number;
  taskHandle?: string;
}

/**
 * Moves the DLQ's messages back to their source queue: StartMessageMoveTask
 * where SQS offers it, else receive → send → delete. The copy keeps each
 * message's group id and attributes; its deduplication id is derived from the
 * dead-lettered message's id, so a copy repeated after a crash is dropped by the
 * FIFO queue instead of delivered twice — and is never the original id, which
 * the source queue would silently drop within its 5-minute window.
 */
export async function redrive(sqs: SQSClient, target: DlqTarget, onProgress: (moved: number) => void = () => undefined): Promise<RedriveResult> {
  if (!target.sourceUrl) throw new UsageError(`${target.name} holds stream failure records, not messages: there is no queue to move them back to`);
  const [sourceArn, destinationArn] = await Promise.all([queueArn(sqs, target.url), queueArn(sqs, target.sourceUrl)]);
  try {
    const task = await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: sourceArn, DestinationArn: destinationArn }));
    return { queue: target.name, method: 'move-task', ...(task.TaskHandle ? { taskHandle: task.TaskHandle } : {}) };
  } catch (err) {
    if (!moveTaskUnsupported(err)) throw err;
  }
  const fifo = target.sourceUrl.endsWith('.fifo');
  let moved = 0;
  for (;;) {
    const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: target.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 60, MessageSystemAttributeNames: ['All'], MessageAttributeNames: ['All'] }));
    const messages = got.Messages ?? [];
    if (messages.length === 0) break;
    const entries: SendMessageBatchRequestEntry[] = messages.map((m, i) => ({
      Id: String(i),
      MessageBody: m.Body ?? '',
      ...(m.MessageAttributes && Object.keys(m.MessageAttributes).length > 0 ? { MessageAttributes: m.MessageAttributes } : {}),
      ...(fifo ? { MessageGroupId: m.Attributes?.MessageGroupId ?? m.MessageId!, MessageDeduplicationId: `redrive-${m.MessageId}`.slice(0, 128) } : {}),
    }));
    const sent = await sqs.send(new SendMessageBatchCommand({ QueueUrl: target.sourceUrl, Entries: entries }));
    const ok = new Set((sent.Successful ?? []).map((s) => s.Id));
    const done = messages.filter((_, i) => ok.has(String(i)));
    if (done.length > 0) {
      await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: target.url, Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
    }
    moved += done.length;
    onProgress(moved);
    const failed = sent.Failed ?? [];
    if (failed.length > 0) throw new Error(`moved ${moved}; ${failed.length} could not be sent back (${failed[0]!.Code}: ${failed[0]!.Message ?? ''}) and stay in ${target.name}`);
  }
  return { queue: target.name, method: 'copy', moved };
}
