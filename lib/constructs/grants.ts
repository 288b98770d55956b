import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sns from 'aws-cdk-lib/aws-sns';

/**
 * sns:Publish on one topic and, when the topic has a customer-managed key, the
 * two key actions SNS performs for the publisher (GenerateDataKey, Decrypt),
 * only through SNS. Topic.grantPublish would grant `kms:GenerateDataKey*`.
 */
export function grantPublish(topic: sns.Topic, grantee: iam.IGrantable): void {
  iam.Grant.addToPrincipal({ grantee, actions: ['sns:Publish'], resourceArns: [topic.topicArn] });
  if (!topic.masterKey) return;
  const stack = Stack.of(topic);
  iam.Grant.addToPrincipal({
    grantee,
    actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
    resourceArns: [topic.masterKey.keyArn],
    conditions: { StringEquals: { 'kms:ViaService': `sns.${stack.region}.${stack.urlSuffix}` } },
  });
}
