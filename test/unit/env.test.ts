/**
 * The Lambdas' environment (core/aws/env.ts): read once at cold start, and a
 * missing or malformed variable fails the cold start with its name instead of
 * turning a feature off.
 */
import { describe, expect, it, vi } from 'vitest';
import { ApiEnv, EnvironmentError, OutboxEnv, readEnv, RouterEnv, SweeperEnv } from '../../core/aws/env';

describe('readEnv', () => {
  it('returns the variables of a complete environment, parsed', () => {
    expect(readEnv(RouterEnv, { TABLE_NAME: 't', CARRIER_QUEUE_URLS: '{"c-a":"https://sqs/a.fifo"}', OTHER: 'x' })).toEqual({ TABLE_NAME: 't', CARRIER_QUEUE_URLS: { 'c-a': 'https://sqs/a.fifo' } });
  });

  it.each([
    { name: 'the outbox without STATUS_TOPIC_ARN', schema: OutboxEnv, env: { INGEST_QUEUE_URL: 'https://sqs/ingest.fifo' }, problem: 'STATUS_TOPIC_ARN: must be set' },
    { name: 'the outbox with an empty INGEST_QUEUE_URL', schema: OutboxEnv, env: { INGEST_QUEUE_URL: '', STATUS_TOPIC_ARN: 'arn' }, problem: 'INGEST_QUEUE_URL: must be set' },
    { name: 'the sweeper without INGEST_QUEUE_URL', schema: SweeperEnv, env: { TABLE_NAME: 't' }, problem: 'INGEST_QUEUE_URL: must be set' },
    { name: 'the router with CARRIER_QUEUE_URLS that is not JSON', schema: RouterEnv, env: { TABLE_NAME: 't', CARRIER_QUEUE_URLS: '{' }, problem: 'CARRIER_QUEUE_URLS: must be a JSON object of carrier id → queue URL' },
    { name: 'the API with an API_URL that is not a URL', schema: ApiEnv, env: { TABLE_NAME: 't', API_URL: 'live' }, problem: 'API_URL: must be the API base URL' },
  ])('refuses $name, naming the variable', ({ schema, env, problem }) => {
    expect(() => readEnv(schema, env)).toThrow(EnvironmentError);
    expect(() => readEnv(schema, env)).toThrow(problem);
  });
});

describe('a Lambda cold start', () => {
  it('fails when the outbox has no STATUS_TOPIC_ARN (status events and webhooks would silently stop)', async () => {
    vi.resetModules();
    vi.stubEnv('INGEST_QUEUE_URL', 'https://sqs/ingest.fifo');
    vi.stubEnv('STATUS_TOPIC_ARN', undefined);
    vi.stubEnv('GATEWAY_RUNTIME_CONFIG', JSON.stringify({ version: 1, tenants: [] }));
    try {
      await expect(import('../../lambdas/outbox/index.js')).rejects.toThrow('STATUS_TOPIC_ARN: must be set');
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
