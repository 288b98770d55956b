/**
 * The webhook signing secrets (SigningSecrets) against a mocked Secrets Manager
 * client and a hand-driven clock: which secret a tenant gets, how long a read
 * is kept, and that a failed read is not.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SECRET_MAX_AGE_MS, SigningSecrets, type SecretArns } from '../../core/webhook/signing-secrets';

const SHARED_ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:webhooks';
const ACME_ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:webhooks-acme';

afterEach(() => vi.restoreAllMocks());

/** A Secrets Manager client whose GetSecretValue answers `answer(secretId)`; an Error is thrown. */
function secretsManager(answer: (secretId: string) => string | undefined | Error) {
  const client = new SecretsManagerClient({ region: 'us-east-1' });
  const reads: string[] = [];
  vi.spyOn(client, 'send').mockImplementation((async (command: unknown) => {
    if (!(command instanceof GetSecretValueCommand)) throw new Error('unexpected Secrets Manager call');
    reads.push(command.input.SecretId ?? '');
    const value = answer(command.input.SecretId ?? '');
    if (value instanceof Error) throw value;
    return value === undefined ? {} : { SecretString: value };
  }) as never);
  return { client, reads };
}

function clock(start = 0) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

const shared: SecretArns = { shared: SHARED_ARN, perTenant: {} };

describe('SigningSecrets', () => {
  it('reads a secret once and answers from memory for ten minutes', async () => {
    // Prepare
    const { client, reads } = secretsManager(() => 'whsec_one');
    const time = clock();
    const secrets = new SigningSecrets(shared, client, time.now);
    // Act
    const first = await secrets.forTenant('acme');
    time.advance(SECRET_MAX_AGE_MS);
    const second = await secrets.forTenant('globex');
    // Assess
    expect([first, second]).toEqual(['whsec_one', 'whsec_one']);
    expect(reads).toEqual([SHARED_ARN]);
  });

  it('reads it again after ten minutes, so a rotated secret is used without a redeploy', async () => {
    // Prepare
    const values = ['whsec_old', 'whsec_new'];
    const { client, reads } = secretsManager(() => values.shift());
    const time = clock();
    const secrets = new SigningSecrets(shared, client, time.now);
    // Act
    const before = await secrets.forTenant('acme');
    time.advance(SECRET_MAX_AGE_MS + 1);
    const after = await secrets.forTenant('acme');
    // Assess
    expect([before, after]).toEqual(['whsec_old', 'whsec_new']);
    expect(reads).toHaveLength(2);
  });

  it('does not keep a failed read: the next record reads again', async () => {
    // Prepare
    const answers: (string | Error)[] = [Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }), 'whsec_one'];
    const { client, reads } = secretsManager(() => answers.shift());
    const secrets = new SigningSecrets(shared, client, clock().now);
    // Act / Assess
    await expect(secrets.forTenant('acme')).rejects.toThrow('Rate exceeded');
    await expect(secrets.forTenant('acme')).resolves.toBe('whsec_one');
    expect(reads).toHaveLength(2);
  });

  it('shares one read between the records that ask while it is under way', async () => {
    const { client, reads } = secretsManager(() => 'whsec_one');
    const secrets = new SigningSecrets(shared, client, clock().now);
    expect(await Promise.all([secrets.forTenant('acme'), secrets.forTenant('acme'), secrets.forTenant('globex')])).toEqual(['whsec_one', 'whsec_one', 'whsec_one']);
    expect(reads).toEqual([SHARED_ARN]);
  });

  it('gives a tenant its own secret when the stack made one, else its entry in the shared one', async () => {
    // Prepare
    const { client } = secretsManager((arn) => (arn === ACME_ARN ? 'whsec_acme' : JSON.stringify({ globex: 'whsec_globex' })));
    const secrets = new SigningSecrets({ shared: SHARED_ARN, perTenant: { acme: ACME_ARN } }, client, clock().now);
    // Act / Assess
    expect(await secrets.forTenant('acme')).toBe('whsec_acme');
    expect(await secrets.forTenant('globex')).toBe('whsec_globex');
    expect(await secrets.forTenant('initech')).toBeUndefined();
  });

  it('has no secret, and reads nothing, for a tenant that no secret covers', async () => {
    const { client, reads } = secretsManager(() => 'whsec_acme');
    const secrets = new SigningSecrets({ shared: undefined, perTenant: { acme: ACME_ARN } }, client, clock().now);
    expect(await secrets.forTenant('globex')).toBeUndefined();
    expect(reads).toEqual([]);
  });

  it('refuses a secret without a string value', async () => {
    const { client } = secretsManager(() => undefined);
    await expect(new SigningSecrets(shared, client, clock().now).forTenant('acme')).rejects.toThrow('webhook signing secret has no SecretString');
  });
});
