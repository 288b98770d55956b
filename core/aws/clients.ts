/**
 * AWS SDK clients, created once per process. Endpoints come from the standard
 * variables (AWS_ENDPOINT_URL for LocalStack/MiniStack), so the same code runs
 * against AWS and the emulator.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SNSClient } from '@aws-sdk/client-sns';

let dynamoClient: DynamoDBDocumentClient | undefined;
let sqsClient: SQSClient | undefined;
let snsClient: SNSClient | undefined;

export function dynamo(): DynamoDBDocumentClient {
  dynamoClient ??= DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return dynamoClient;
}

export function sqs(): SQSClient {
  sqsClient ??= new SQSClient({});
  return sqsClient;
}

export function sns(): SNSClient {
  snsClient ??= new SNSClient({});
  return snsClient;
}
