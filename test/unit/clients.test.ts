/**
 * The hot-path AWS SDK clients (core/aws/clients.ts): the middleware they drop, and that each
 * setting can be switched back on (the bench compares them).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { dynamoDocumentClient, hotPathConfig, trimMiddleware } from '../../core/aws/clients';

const names = (client: { middlewareStack: { identify(): string[] } }) => client.middlewareStack.identify().map((n) => n.split(' ')[0]);

describe('hot-path SDK clients', () => {
  it('carry no logger and no user-agent middleware, and keep signing, retries and serde', () => {
    const stack = names(dynamoDocumentClient());
    expect(stack).not.toContain('loggerMiddleware');
    expect(stack).not.toContain('getUserAgentMiddleware');
    expect(stack).toEqual(expect.arrayContaining(['serializerMiddleware', 'retryMiddleware', 'httpSigningMiddleware', 'deserializerMiddleware']));
  });

  it('keep either middleware when a setting asks for it', () => {
    const stack = names(trimMiddleware(new DynamoDBClient(hotPathConfig()), { withoutLogger: false, withoutUserAgent: false }));
    expect(stack).toEqual(expect.arrayContaining(['loggerMiddleware', 'getUserAgentMiddleware']));
  });
});
