/**
 * The part of the gateway config the Lambdas need at run time: tenants with the
 * SHA-256 of their API keys (never the keys), carriers without credentials,
 * routes and limits. The CDK app compiles it from the validated config and
 * injects it into each bundle as the constant process.env.GATEWAY_RUNTIME_CONFIG,
 * so a changed config is a redeploy and a cold start reads no file.
 */
import { createHash } from 'node:crypto';
import type { GatewayConfig, RouteConfig, TenantConfig } from './schema';

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

export interface RuntimeConfig {
  version: 1;
  retentionDays: number;
  limits: GatewayConfig['limits'];
  health: GatewayConfig['health'];
  lifecycle: GatewayConfig['lifecycle'];
  statusEvents: GatewayConfig['statusEvents'];
  tenants: RuntimeTenant[];
  carriers: { id: string; maxAttempts: number; tps: number }[];
  routes: RouteConfig[];
  prices?: GatewayConfig['prices'];
  /** Numbering plans take the fictional ranges as mobile numbers (core/config/fictional-numbers.ts). */
  fictionalNumbers?: true;
  /** Which callback URLs the API accepts: https to public hosts in AWS; http and loopback too on emulators. */
  callbackUrls: { allowHttp: boolean; allowPrivate: boolean };
}

export function toRuntimeConfig(config: GatewayConfig, options: { local?: boolean } = {}): RuntimeConfig {
  return {
    version: 1,
    retentionDays: config.retentionDays,
    limits: config.limits,
    health: config.health,
    lifecycle: config.lifecycle,
    statusEvents: config.statusEvents,
    tenants: config.tenants.map((t) => ({
      id: t.id,
      apiKeySha256: [...t.apiKeySha256, ...t.apiKeys.map(sha256Hex)],
      rateLimitPerSecond: t.rateLimitPerSecond,
      ...(t.callbackUrl ? { callbackUrl: t.callbackUrl } : {}),
      ...(t.inboundUrl ? { inboundUrl: t.inboundUrl } : {}),
      numbers: t.numbers,
      optOut: t.optOut,
      ...(t.senders !== undefined ? { senders: t.senders } : {}),
      ...(t.defaultSender !== undefined ? { defaultSender: t.defaultSender } : {}),
      ...(t.countries !== undefined ? { countries: t.countries } : {}),
      ...(t.pumping !== undefined ? { pumping: t.pumping } : {}),
      ...(t.quota !== undefined ? { quota: t.quota } : {}),
      ...(t.quietHours !== undefined ? { quietHours: t.quietHours } : {}),
      ...(t.twilio !== undefined ? { twilio: { accountSid: t.twilio.accountSid, authTokenSha256: twilioTokenDigests(t.twilio) } } : {}),
    })),
    carriers: config.carriers.map((c) => ({ id: c.id, maxAttempts: c.maxAttempts, tps: c.tps })),
    routes: config.routes,
    ...(config.prices !== undefined ? { prices: config.prices } : {}),
    ...(config.fictionalNumbers ? { fictionalNumbers: true as const } : {}),
    callbackUrls: { allowHttp: options.local ?? false, allowPrivate: options.local ?? false },
  };
}

/** The digests a Twilio account's auth token may have: the configured one and that of the plaintext token (both when both are given). */
export function twilioTokenDigests(t: { authTokenSha256?: string | undefined; authToken?: string | undefined }): string[] {
  return [...new Set([...(t.authTokenSha256 !== undefined ? [t.authTokenSha256] : []), ...(t.authToken !== undefined ? [sha256Hex(t.authToken)] : [])])];
}

/** A tenant's Twilio account as the Lambdas see it: its token digests, never its token. */
export interface RuntimeTwilioAccount {
  accountSid: string;
  authTokenSha256: string[];
}

/** A tenant as the Lambdas see it: its key digests, never its keys. */
export type RuntimeTenant = { id: string; apiKeySha256: string[]; rateLimitPerSecond: number; callbackUrl?: string; inboundUrl?: string; twilio?: RuntimeTwilioAccount } & Pick<
  TenantConfig,
  'numbers' | 'optOut' | 'senders' | 'defaultSender' | 'countries' | 'pumping' | 'quota' | 'quietHours'
>;

let cached: RuntimeConfig | undefined;

/** The runtime config of this process (bundled constant in Lambdas, environment in tests). */
export function runtimeConfig(): RuntimeConfig {
  if (cached) return cached;
  const raw = process.env.GATEWAY_RUNTIME_CONFIG;
  if (!raw) throw new Error('GATEWAY_RUNTIME_CONFIG is not set: the bundle was not built by the CDK app');
  // Not external input: the CDK app wrote it from a config it had fully validated.
  const parsed: unknown = JSON.parse(raw);
  if (typeof parsed !== 'object' || parsed === null || (parsed as { version?: unknown }).version !== 1) {
    throw new Error('GATEWAY_RUNTIME_CONFIG is not a version 1 runtime config');
  }
  cached = parsed as RuntimeConfig;
  return cached;
}

/** For tests that switch configs within one process. */
export function resetRuntimeConfigCache(): void {
  cached = undefined;
}
