/**
 * The webhook function's environment (webhookSettings): what the stack sets,
 * the local relaxations, and a cold-start error naming each variable that is
 * missing or malformed.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { webhookSettings, WebhookSettingsError } from '../../core/webhook/webhook-settings';

const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/000000000000/webhooks.fifo';
const DLQ_URL = 'https://sqs.us-east-1.amazonaws.com/000000000000/webhooks-dlq.fifo';
const ACME_ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:webhooks-acme';

/** The variables lib/gateway-stack.ts gives the function in AWS. */
const STACK_ENV = { WEBHOOK_SECRET_ARNS: JSON.stringify({ acme: ACME_ARN }), WEBHOOK_QUEUE_URL: QUEUE_URL, WEBHOOK_DLQ_URL: DLQ_URL };

afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
});

describe('webhookSettings', () => {
  it('reads what the stack sets: the queues and one secret per tenant, https to public hosts only', () => {
    expect(webhookSettings(STACK_ENV)).toEqual({
      queueUrl: QUEUE_URL,
      dlqUrl: DLQ_URL,
      secretArns: { shared: undefined, perTenant: { acme: ACME_ARN } },
      twilioTokenSecrets: {},
      retryScale: 1,
      urlRules: { allowHttp: false, allowPrivate: false },
    });
  });

  it('reads a shared secret and the relaxations of a local stack', () => {
    const settings = webhookSettings({ WEBHOOK_SECRET_ARN: 'arn:shared', WEBHOOK_QUEUE_URL: QUEUE_URL, WEBHOOK_DLQ_URL: DLQ_URL, WEBHOOK_RETRY_SCALE: '0.05', WEBHOOK_ALLOW_HTTP: '1', WEBHOOK_ALLOW_PRIVATE: '1' });
    expect(settings).toMatchObject({ secretArns: { shared: 'arn:shared', perTenant: {} }, retryScale: 0.05, urlRules: { allowHttp: true, allowPrivate: true } });
  });

  it('reads the secrets of the tenants’ Twilio auth tokens, which sign their Twilio-form callbacks', () => {
    const settings = webhookSettings({ ...STACK_ENV, TWILIO_TOKEN_SECRETS: JSON.stringify({ acme: 'acme/twilio-token' }) });
    expect(settings.twilioTokenSecrets).toEqual({ acme: 'acme/twilio-token' });
  });

  it.each([
    ['Twilio token secrets that are not JSON', { TWILIO_TOKEN_SECRETS: 'acme/twilio-token' }, 'TWILIO_TOKEN_SECRETS: is not JSON'],
    ['no queue URL', { WEBHOOK_QUEUE_URL: undefined }, 'WEBHOOK_QUEUE_URL: is missing'],
    ['an empty DLQ URL', { WEBHOOK_DLQ_URL: '' }, 'WEBHOOK_DLQ_URL: is empty'],
    ['no secret at all', { WEBHOOK_SECRET_ARNS: undefined }, 'WEBHOOK_SECRET_ARNS (one secret per tenant) or WEBHOOK_SECRET_ARN (one for all) must be set'],
    ['per-tenant secrets that are not JSON', { WEBHOOK_SECRET_ARNS: ACME_ARN }, 'WEBHOOK_SECRET_ARNS: is not JSON'],
    ['a per-tenant secret that is not an ARN', { WEBHOOK_SECRET_ARNS: '{"acme":7}' }, 'WEBHOOK_SECRET_ARNS.acme: must be a string'],
    ['per-tenant secrets that are a list', { WEBHOOK_SECRET_ARNS: '[]' }, 'WEBHOOK_SECRET_ARNS: must be an object of tenant id → secret ARN'],
    ['a retry scale that is not a number', { WEBHOOK_RETRY_SCALE: 'fast' }, "WEBHOOK_RETRY_SCALE: must be a number > 0, got 'fast'"],
    ['a retry scale of zero', { WEBHOOK_RETRY_SCALE: '0' }, "WEBHOOK_RETRY_SCALE: must be a number > 0, got '0'"],
    ['a flag that is not 0 or 1', { WEBHOOK_ALLOW_HTTP: 'yes' }, "WEBHOOK_ALLOW_HTTP: must be '0' or '1'"],
  ])('refuses %s, naming the variable', (_what, change, problem) => {
    expect(() => webhookSettings({ ...STACK_ENV, ...change })).toThrow(new WebhookSettingsError(problem));
  });

  it('stops the handler at cold start, before it takes a record', async () => {
    // Prepare
    vi.stubEnv('WEBHOOK_SECRET_ARNS', STACK_ENV.WEBHOOK_SECRET_ARNS);
    vi.stubEnv('WEBHOOK_QUEUE_URL', QUEUE_URL);
    vi.stubEnv('WEBHOOK_DLQ_URL', undefined);
    // Act / Assess
    await expect(import('../../lambdas/webhook/index.js')).rejects.toThrow('webhook environment: WEBHOOK_DLQ_URL: is missing');
  });
});
