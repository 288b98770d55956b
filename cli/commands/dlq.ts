/** smsgw dlq list and dlq redrive: the stack's dead-letter queues, their depth, and moving messages back. */
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { awsClients } from '../aws';
import type { CommandOf, GlobalOptions } from '../command-line';
import { needOutputs, type CliConfig } from '../config';
import { dlqTargets, findDlq, queueName } from '../dlq-targets';
import type { Io } from '../io';
import { formatDlqTable, type DlqRow } from '../output';
import { progress } from '../progress';
import { redrive, type RedriveResult } from '../redrive';

export async function dlqList(opts: GlobalOptions, config: CliConfig, io: Io): Promise<number> {
  const { sqs } = awsClients(config, io.env);
  const rows: DlqRow[] = await Promise.all(
    dlqTargets(needOutputs(config)).map(async (t) => {
      const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: t.url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
      return {
        name: t.name,
        messages: Number(attrs.Attributes?.ApproximateNumberOfMessages ?? 0),
        inFlight: Number(attrs.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
        redrivesTo: t.sourceUrl ? queueName(t.sourceUrl) : '(none: stream failure records)',
        url: t.url,
      };
    }),
  );
  io.stdout.write(opts.json ? `${JSON.stringify(rows)}\n` : `${formatDlqTable(rows)}\n`);
  return 0;
}

export async function dlqRedrive(cmd: CommandOf<'dlq-redrive'>, opts: GlobalOptions, config: CliConfig, io: Io): Promise<number> {
  const target = findDlq(dlqTargets(needOutputs(config)), cmd.queue);
  const { sqs } = awsClients(config, io.env);
  const spinner = opts.json ? undefined : progress(io);
  let result: RedriveResult;
  try {
    result = await redrive(sqs, target, (n) => spinner?.update(`${n} moved`));
  } finally {
    spinner?.done();
  }
  if (opts.json) io.stdout.write(`${JSON.stringify(result)}\n`);
  else if (result.method === 'move-task') io.stdout.write(`${target.name}: move task started (${result.taskHandle ?? 'no handle'}); 'smsgw dlq list' shows the depth going down\n`);
  else io.stdout.write(`${target.name}: ${result.moved} message${result.moved === 1 ? '' : 's'} moved back to ${queueName(target.sourceUrl!)}\n`);
  return 0;
}
