/**
 * The tenants' webhook signing secrets, from Secrets Manager. A secret is read
 * on first use and kept for SECRET_MAX_AGE_MS, so a rotated secret is picked up
 * without a redeploy; a failed read is not kept, so the next record tries again.
 *
 * @example
 *   const secrets = new SigningSecrets(settings.secretArns);
 *   const secret = await secrets.forTenant('acme'); // undefined: no secret has one for acme
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { signingSecretsFrom } from '../domain/webhook';

export const SECRET_MAX_AGE_MS = 10 * 60_000;

/** Which secrets hold the signing secrets. */
export interface SecretArns {
  /** One secret for every tenant: JSON {"<tenantId>": "<secret>"} or one plain string. */
  shared: string | undefined;
  /** A secret of the tenant's own (what the stack creates), a plain string: tenant id → secret ARN. */
  perTenant: Readonly<Record<string, string>>;
}

type SecretsOf = (tenantId: string) => string | undefined;

export class SigningSecrets {
  private readonly cache = new Map<string, { value: Promise<SecretsOf>; readAt: number }>();

  constructor(
    private readonly arns: SecretArns,
    private readonly client: SecretsManagerClient = new SecretsManagerClient({}),
    private readonly now: () => number = Date.now,
  ) {}

  /** The tenant's signing secret: its own secret when the stack made one, else the shared one. Rejects when the read fails. */
  async forTenant(tenantId: string): Promise<string | undefined> {
    // A tenant's own secret is a plain string: signingSecretsFrom gives it for every id.
    const arn = Object.hasOwn(this.arns.perTenant, tenantId) ? this.arns.perTenant[tenantId] : this.arns.shared;
    return arn === undefined ? undefined : (await this.read(arn))(tenantId);
  }

  private read(arn: string): Promise<SecretsOf> {
    const cached = this.cache.get(arn);
    if (cached && this.now() - cached.readAt <= SECRET_MAX_AGE_MS) return cached.value;
    // The promise is kept, not its value: records that arrive while the read is under way share it.
    const value = this.client.send(new GetSecretValueCommand({ SecretId: arn })).then((out) => {
      if (out.SecretString === undefined) throw new Error('webhook signing secret has no SecretString');
      return signingSecretsFrom(out.SecretString);
    });
    const entry = { value, readAt: this.now() };
    this.cache.set(arn, entry);
    value.catch(() => {
      if (this.cache.get(arn) === entry) this.cache.delete(arn);
    });
    return value;
  }
}
