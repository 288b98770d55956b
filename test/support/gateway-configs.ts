/**
 * Gateway configs for the infrastructure tests, validated by the real schema:
 * config/local.yaml made fit for a deploy to AWS, and the same with the optional
 * network and operations settings on. (Loads classic zod: for test/infra only,
 * see the note at the top of factories.ts.)
 */
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { loadGatewayConfig, parseGatewayConfig } from '../../core/config/load';
import type { GatewayConfig } from '../../core/config/schema';
import { REPO_ROOT } from '../../scripts/python-tools';

/**
 * An app for template assertions: it does not bundle the Lambdas (no esbuild run, no
 * "Bundling asset" lines). The bundles are built by every deploy of the integration
 * suite, where they run, and measured by the bench.
 */
export function templateApp(context: Record<string, unknown> = {}): App {
  return new App({ context: { 'aws:cdk:bundling-stacks': [], ...context } });
}

/** Two allocation ids of the right form, one per availability zone. */
export const EIP_ALLOCATION_IDS = ['eipalloc-0aaaaaaaaaaaaaaaa', 'eipalloc-0bbbbbbbbbbbbbbbb'];

/**
 * config/local.yaml as a deploy to AWS needs it: NAT on, key and token digests, passwords and Twilio tokens from Secrets Manager
 * (`sms/<carrier>`), and the status topic's default audience (local.yaml publishes every event, for `smsgw tail`).
 */
export function awsConfig(operations: Record<string, unknown> = {}): GatewayConfig {
  const local = loadGatewayConfig(join(REPO_ROOT, 'config/local.yaml'));
  return parseGatewayConfig({
    ...local,
    network: { natGateway: true },
    statusEvents: {},
    operations: { ...local.operations, ...operations },
    tenants: local.tenants.map((t, i) => ({
      id: t.id,
      apiKeySha256: [String(i).repeat(64)],
      rateLimitPerSecond: t.rateLimitPerSecond,
      // A Twilio account as deployed: the token's digest for the API, its secret for signing callbacks (`sms/twilio-<tenant>`).
      ...(t.twilio ? { twilio: { accountSid: t.twilio.accountSid, authTokenSha256: String(i).repeat(64), authTokenSecret: `sms/twilio-${t.id}` } } : {}),
    })),
    carriers: local.carriers.map(({ password: _p, simulated: _s, ...c }) => ({ ...c, passwordSecret: `sms/${c.id}` })),
  });
}

/** The config with its optional settings on: named Elastic IPs for the NAT gateways and the API Gateway account role. */
export function withOptionalSettings(config: GatewayConfig, eipAllocationIds: readonly string[] = EIP_ALLOCATION_IDS): GatewayConfig {
  return parseGatewayConfig({ ...config, network: { natGateway: true, eipAllocationIds }, operations: { ...config.operations, apiGatewayAccountRole: true } });
}
