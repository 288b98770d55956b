/**
 * The worker's settings (worker/settings.ts) as ECS gives them: read once at start,
 * and a missing one stops the start with its name.
 */
import { describe, expect, it } from 'vitest';
import { loadWorkerSettings, WorkerSettingsError } from '../../worker/settings';

/** The environment of the task definition (lib/constructs/smpp-worker-service.ts) for one carrier. */
function taskEnv(overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: Record<string, string | undefined> = {
    TABLE_NAME: 'messages',
    CARRIER_QUEUE_URLS: JSON.stringify({ 'c-a': 'https://sqs/c-a.fifo' }),
    WORKER_CARRIERS: JSON.stringify([{ id: 'c-a', host: 'smsc.example', port: 2775, systemId: 'gw', passwordSecret: 'sms/c-a' }]),
    CARRIER_PASSWORD_C_A: 'secret',
    RETENTION_DAYS: '30',
    RECEIPT_TIMEOUT_SECONDS: '172800',
    RETRY_BASE_SECONDS: '30',
    RETRY_MAX_SECONDS: '900',
    RETAIN_TEXT: 'false',
    WORKER_TENANTS: JSON.stringify([{ id: 'acme', numbers: ['+447700900000', '60100'], optOut: { scope: 'sender', stopKeywords: ['ARRET'] } }]),
    DEFAULT_VALIDITY_SECONDS: '86400',
    ...overrides,
  };
  return Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) as NodeJS.ProcessEnv;
}

describe('loadWorkerSettings', () => {
  it('reads the task definition’s environment, the password from its secret variable', () => {
    const settings = loadWorkerSettings(taskEnv());
    expect(settings).toMatchObject({ tableName: 'messages', retentionDays: 30, retainText: false, logLevel: 'INFO', deliveryWrites: 'partiql' });
    expect(settings.carriers.map((c) => ({ id: c.config.id, password: c.password, queueUrl: c.queueUrl }))).toEqual([{ id: 'c-a', password: 'secret', queueUrl: 'https://sqs/c-a.fifo' }]);
  });

  it.each(['TABLE_NAME', 'CARRIER_QUEUE_URLS'])('refuses to start without %s, naming it', (name) => {
    expect(() => loadWorkerSettings(taskEnv({ [name]: undefined }))).toThrow(WorkerSettingsError);
    expect(() => loadWorkerSettings(taskEnv({ [name]: undefined }))).toThrow(name);
  });

  it('keeps the text after SUBMITTED only when RETAIN_TEXT is true, and logs each message step only at LOG_LEVEL DEBUG', () => {
    expect(loadWorkerSettings(taskEnv({ RETAIN_TEXT: 'true', LOG_LEVEL: 'DEBUG' }))).toMatchObject({ retainText: true, logLevel: 'DEBUG' });
    expect(() => loadWorkerSettings(taskEnv({ LOG_LEVEL: 'TRACE' }))).toThrow('LOG_LEVEL');
  });

  it('reads the tenants’ numbers and opt-out settings, with the defaults of what they leave out', () => {
    const settings = loadWorkerSettings(taskEnv());
    expect(settings.tenants).toEqual([
      { id: 'acme', numbers: ['+447700900000', '60100'], optOut: { scope: 'sender', appliesTo: 'all', stopKeywords: ['ARRET'], startKeywords: [], helpKeywords: [], replies: {} } },
    ]);
    expect(settings.replyValiditySeconds).toBe(86_400);
  });

  it('reads the price table for the replies from WORKER_PRICES, none when it is empty, and refuses one it cannot read', () => {
    const prices = { currency: 'EUR', perSegment: { default: 0.05 } };
    expect(loadWorkerSettings(taskEnv({ WORKER_PRICES: JSON.stringify(prices) })).prices).toEqual(prices);
    expect(loadWorkerSettings(taskEnv({ WORKER_PRICES: '' })).prices).toBeUndefined();
    expect(() => loadWorkerSettings(taskEnv({ WORKER_PRICES: JSON.stringify({ currency: 'euro', perSegment: { default: 0.05 } }) }))).toThrow('currency');
  });

  it('refuses tenants it cannot read, naming the field', () => {
    expect(() => loadWorkerSettings(taskEnv({ WORKER_TENANTS: JSON.stringify([{ id: 'acme', numbers: ['not-a-number'] }]) }))).toThrow('numbers');
  });

  it('refuses a carrier without its password', () => {
    expect(() => loadWorkerSettings(taskEnv({ CARRIER_PASSWORD_C_A: undefined }))).toThrow('carrier c-a: no password (set CARRIER_PASSWORD_C_A or password in the config)');
  });
});
