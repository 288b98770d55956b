/**
 * cdk-nag acknowledgements (v3: CDK's Validations API), each on the construct it
 * concerns and with the specific reason the rule does not apply there.
 */
import { Validations } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { IConstruct } from 'constructs';
import type { GatewayStack } from './gateway-stack';

function ack(construct: IConstruct, id: string, reason: string): void {
  Validations.of(construct).acknowledge({ id, reason });
}

export function acknowledgeNagFindings(stack: GatewayStack, local: boolean): void {
  if (local) {
    ack(stack.worker.vpc, 'AwsSolutions-VPC7', 'Local emulator deploy only: MiniStack cannot create AWS::EC2::FlowLog; deploys to AWS have flow logs.');
  }
  const api = stack.api;
  ack(api, 'AwsSolutions-APIG2', 'The API function validates every request itself and answers with RFC 9457 problem details naming the field; an API Gateway validator would answer in another format first.');
  ack(api, 'AwsSolutions-APIG4', 'Authentication is per tenant API key, checked by the API function against SHA-256 digests (keys are never stored); tenants see only their own messages.');
  ack(api, 'AwsSolutions-COG4', 'Clients are machines with tenant API keys, not Cognito users.');
  ack(api, 'AwsSolutions-APIG3', 'WAF is optional and priced per request; stage throttling and per-tenant keys are the default protection. Attach a web ACL to the stage where required.');
  // Only with operations.apiGatewayAccountRole: the stack then creates the account-level role itself.
  const accountRole = api.node.tryFindChild('CloudWatchRole');
  if (accountRole) {
    ack(
      accountRole,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      'The account-level role API Gateway uses to write access and execution logs; this AWS-managed policy is the documented one for it.',
    );
  }
  ack(stack.outboxFailures, 'AwsSolutions-SQS3', 'This queue is itself a dead-letter destination (stream records the outbox could not enqueue); it has no DLQ of its own.');
  ack(stack.outboxFunction, 'AwsSolutions-IAM5[Resource::*]', 'dynamodb:ListStreams has no resource-level permissions; the stream read actions are scoped to this table\'s stream.');
  ack(stack.worker.taskDefinition, 'AwsSolutions-IAM5[Resource::*]', 'ecr:GetAuthorizationToken (image pull) has no resource-level permissions.');
  ack(
    stack.worker.taskDefinition.taskRole,
    'AwsSolutions-IAM5[Resource::*]',
    'cloudwatch:PutMetricData has no resource-level permissions; the statement is limited to the SmsGateway namespace by the cloudwatch:namespace condition.',
  );
  for (const secret of Object.values(stack.webhookSecrets)) {
    ack(secret, 'AwsSolutions-SMG4', 'A webhook signing secret is shared with the tenant, who verifies with it: rotating it is a coordinated step with the receiver (the dispatcher re-reads it within 10 minutes), not an automatic one.');
  }
  for (const secret of Object.values(stack.twilioTokenSecrets)) {
    // Only the secrets a local stack makes from a plaintext token are the stack's own; AWS stacks reference the configured one.
    if (secret instanceof secretsmanager.Secret) {
      ack(secret, 'AwsSolutions-SMG4', 'Local stacks only: the Twilio auth token of the local config, which the test SDK client authenticates with; a token is rotated with the client that uses it.');
    }
  }
  ack(stack.worker.taskDefinition, 'AwsSolutions-ECS2', 'The environment holds only non-secret settings (table name, queue URLs, carrier hosts); SMPP passwords are injected from Secrets Manager.');
}
