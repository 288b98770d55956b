/**
 * SQS and SNS for the commands that reach the stack's queues and topic (tail,
 * dlq): clients aimed at the emulator of a local stack, and the queue ARN lookup.
 */
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { SNSClient } from '@aws-sdk/client-sns';
import type { CliConfig } from './config';

export function awsClients(config: CliConfig, env: NodeJS.ProcessEnv): { sqs: SQSClient; sns: SNSClient } {
  // A local stack: talk to its emulator unless the environment names an endpoint (or real credentials) itself.
  const local = config.outputs?.endpoint && !env.AWS_ENDPOINT_URL ? config.outputs.endpoint : undefined;
  const common = {
    ...(local ? { endpoint: local } : {}),
    region: env.AWS_REGION ?? config.outputs?.region ?? 'us-east-1',
    ...(local && !env.AWS_ACCESS_KEY_ID ? { credentials: { accessKeyId: 'test', secretAccessKey: 'test' } } : {}),
  };
  return { sqs: new SQSClient(common), sns: new SNSClient(common) };
}

export async function queueArn(sqs: SQSClient, url: string): Promise<string> {
  const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  const arn = attrs.Attributes?.QueueArn;
  if (!arn) throw new Error(`no QueueArn for ${url}`);
  return arn;
}
