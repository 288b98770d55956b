/**
 * The webhook function's environment, read once at cold start and validated: a
 * missing or malformed variable fails the cold start with an error naming it,
 * instead of every record failing later (or a feature quietly switching off).
 *
 * @example const settings = webhookSettings(process.env); // throws 'webhook environment: WEBHOOK_DLQ_URL: is missing'
 */
import * as z from 'zod/mini';
import type { CallbackUrlOptions } from '../domain/webhook';
import { describeIssues, expecting } from '../util/schema-problems';
import type { SecretArns } from './signing-secrets';

const Required = () => z.string(expecting('a string')).check(z.minLength(1, 'is empty'));
/** '1' switches a local-only relaxation on; anything but '0' or '1' is a typo. */
const Flag = () => z.optional(z.enum(['0', '1'], expecting("'0' or '1'")));

const WebhookEnv = z.object({
  /** One secret: JSON {"<tenantId>": "<secret>"} or one string for every tenant. */
  WEBHOOK_SECRET_ARN: z.optional(Required()),
  /** One secret per tenant (what the stack creates): JSON {"<tenantId>": "<secret ARN>"}, each secret a plain string. */
  WEBHOOK_SECRET_ARNS: z.optional(Required()),
  /** The Twilio auth tokens that sign Twilio-form callbacks: JSON {"<tenantId>": "<secret name or ARN>"}, each secret a plain string. */
  TWILIO_TOKEN_SECRETS: z.optional(Required()),
  /** Local deploys only: shrinks the retry schedule (e.g. 0.05), so tests need not wait minutes. */
  WEBHOOK_RETRY_SCALE: z.optional(Required()),
  /** This function's source queue (for ChangeMessageVisibility). */
  WEBHOOK_QUEUE_URL: Required(),
  /** Where an event goes after its last attempt, or at once when its failure is not retryable. */
  WEBHOOK_DLQ_URL: Required(),
  /** Local and emulator use only: accept http: URLs. */
  WEBHOOK_ALLOW_HTTP: Flag(),
  /** Local and emulator use only: accept private and loopback hosts, skip the DNS check. */
  WEBHOOK_ALLOW_PRIVATE: Flag(),
});

const TenantSecretArns = z.record(z.string(), Required(), expecting('an object of tenant id → secret ARN'));

export interface WebhookSettings {
  queueUrl: string;
  dlqUrl: string;
  secretArns: SecretArns;
  /** Tenant id → the secret holding its Twilio auth token (tenants with a Twilio account). */
  twilioTokenSecrets: Readonly<Record<string, string>>;
  /** Factor on every retry delay: 1 in AWS. */
  retryScale: number;
  urlRules: CallbackUrlOptions;
}

export class WebhookSettingsError extends Error {
  constructor(problem: string) {
    super(`webhook environment: ${problem}`);
    this.name = 'WebhookSettingsError';
  }
}

export function webhookSettings(env: NodeJS.ProcessEnv): WebhookSettings {
  const parsed = WebhookEnv.safeParse(env);
  if (!parsed.success) throw new WebhookSettingsError(describeIssues(parsed.error.issues));
  const e = parsed.data;
  // Without a secret no event can be signed: every delivery would retry for a day, then dead-letter.
  if (e.WEBHOOK_SECRET_ARN === undefined && e.WEBHOOK_SECRET_ARNS === undefined) {
    throw new WebhookSettingsError('WEBHOOK_SECRET_ARNS (one secret per tenant) or WEBHOOK_SECRET_ARN (one for all) must be set');
  }
  return {
    queueUrl: e.WEBHOOK_QUEUE_URL,
    dlqUrl: e.WEBHOOK_DLQ_URL,
    secretArns: { shared: e.WEBHOOK_SECRET_ARN, perTenant: e.WEBHOOK_SECRET_ARNS === undefined ? {} : tenantSecretArns(e.WEBHOOK_SECRET_ARNS, 'WEBHOOK_SECRET_ARNS') },
    twilioTokenSecrets: e.TWILIO_TOKEN_SECRETS === undefined ? {} : tenantSecretArns(e.TWILIO_TOKEN_SECRETS, 'TWILIO_TOKEN_SECRETS'),
    retryScale: e.WEBHOOK_RETRY_SCALE === undefined ? 1 : retryScale(e.WEBHOOK_RETRY_SCALE),
    urlRules: { allowHttp: e.WEBHOOK_ALLOW_HTTP === '1', allowPrivate: e.WEBHOOK_ALLOW_PRIVATE === '1' },
  };
}

function tenantSecretArns(json: string, name: string): Record<string, string> {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new WebhookSettingsError(`${name}: is not JSON`);
  }
  const arns = TenantSecretArns.safeParse(value);
  if (!arns.success) throw new WebhookSettingsError(describeIssues(arns.error.issues, name));
  return arns.data;
}

function retryScale(text: string): number {
  const scale = Number(text);
  if (!Number.isFinite(scale) || scale <= 0) throw new WebhookSettingsError(`WEBHOOK_RETRY_SCALE: must be a number > 0, got '${text}'`);
  return scale;
}
