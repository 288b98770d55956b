/**
 * smsgw tail: every status event (or one message's) as it is published, until Ctrl-C; and each
 * inbound message as it arrives: its message.inbound event, on the same topic (published for a
 * tenant with an inboundUrl, or for every tenant with statusEvents.publish: all).
 */
import { randomUUID } from 'node:crypto';
import { CreateQueueCommand, DeleteMessageBatchCommand, DeleteQueueCommand, ReceiveMessageCommand, SetQueueAttributesCommand, type Message } from '@aws-sdk/client-sqs';
import { SubscribeCommand, UnsubscribeCommand } from '@aws-sdk/client-sns';
import { awsClients, queueArn } from '../aws';
import type { CommandOf, GlobalOptions } from '../command-line';
import { needOutputs, type CliConfig } from '../config';
import type { Io } from '../io';
import { formatEvent } from '../output';

/**
 * What tail says before it follows a stack that publishes only the events of messages
 * with a callback URL (statusEvents.publish: callbacks, its StatusEventsPublished output).
 */
export function publishedEventsNote(raw: Readonly<Record<string, string>> | undefined): string | undefined {
  if (raw?.StatusEventsPublished !== 'callbacks') return undefined;
  return 'note: this stack publishes the status events of messages with a callback URL only (statusEvents.publish: callbacks); set statusEvents.publish: all and redeploy to follow every message\n';
}

/** Whether a tail event is about this id: a status event's message, an inbound event's message. */
function isAbout(event: unknown, id: string): boolean {
  if (typeof event !== 'object' || event === null) return false;
  const e = event as { messageId?: unknown; inboundId?: unknown };
  return e.messageId === id || e.inboundId === id;
}

/**
 * A temporary FIFO queue subscribed to the status topic (raw delivery, so each
 * body is a status event), long-polled until Ctrl-C; the subscription and the
 * queue are removed on the way out, whatever ends the command.
 */
export async function tail(cmd: CommandOf<'tail'>, opts: GlobalOptions, config: CliConfig, io: Io): Promise<number> {
  const outputs = needOutputs(config);
  const topicArn = outputs.raw?.StatusTopicArn;
  if (!topicArn) throw new Error(`${config.outputsPath} has no StatusTopicArn: redeploy the stack`);
  const { sqs, sns } = awsClients(config, io.env);
  const queue = await sqs.send(
    new CreateQueueCommand({
      QueueName: `smsgw-tail-${randomUUID().slice(0, 8)}.fifo`,
      Attributes: { FifoQueue: 'true', MessageRetentionPeriod: '3600' },
    }),
  );
  const queueUrl = queue.QueueUrl!;
  let subscriptionArn: string | undefined;
  const abort = new AbortController();
  void io.interrupted.then(() => abort.abort());
  try {
    const arn = await queueArn(sqs, queueUrl);
    // On AWS the topic may deliver only what the queue's policy allows.
    await sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: queueUrl,
        Attributes: {
          Policy: JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Principal: { Service: 'sns.amazonaws.com' }, Action: 'sqs:SendMessage', Resource: arn, Condition: { ArnEquals: { 'aws:SourceArn': topicArn } } }],
          }),
        },
      }),
    );
    subscriptionArn = (await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: arn, Attributes: { RawMessageDelivery: 'true' }, ReturnSubscriptionArn: true }))).SubscriptionArn;
    const note = publishedEventsNote(outputs.raw);
    if (note) io.stderr.write(note);
    io.stderr.write(`following status events${cmd.id ? ` of ${cmd.id}` : ' and inbound messages'}; Ctrl-C stops\n`);
    while (!abort.signal.aborted) {
      let messages: Message[];
      try {
        messages = (await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 20 }), { abortSignal: abort.signal })).Messages ?? [];
      } catch (err) {
        if (abort.signal.aborted) break;
        throw err;
      }
      for (const m of messages) {
        let event: unknown;
        try {
          event = JSON.parse(m.Body ?? '');
        } catch {
          event = m.Body;
        }
        if (cmd.id && !isAbout(event, cmd.id)) continue;
        io.stdout.write(opts.json ? `${JSON.stringify(event)}\n` : `${formatEvent(event)}\n`);
      }
      if (messages.length > 0) {
        await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
      }
    }
    return 0;
  } finally {
    if (subscriptionArn && subscriptionArn !== 'pending confirmation') await sns.send(new UnsubscribeCommand({ SubscriptionArn: subscriptionArn })).catch(() => undefined);
    await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl })).catch(() => undefined);
  }
}
