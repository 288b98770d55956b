/**
 * Checks that need the whole configuration: unique ids and references between
 * sections (errors), and the findings synth prints as warnings. Route-table checks
 * (unknown carriers, duplicates, unreachable routes, missing default) live with the
 * routing table in core/domain/routing.ts.
 */
import type { GatewayConfig } from './schema';
import { checkCommandStatusOverrides } from '../domain/command-status';
import { checkRoutingTable, routingWarnings } from '../domain/routing';
import { sha256Hex } from './runtime';
import { workerSizingWarnings } from './worker-sizing';
import { checkCompliance, complianceWarnings } from './compliance-check';

function duplicates(values: string[]): string[] {
  const seen = new Set<string>();
  const dups = new Set<string>();
  for (const v of values) (seen.has(v) ? dups : seen).add(v);
  return [...dups];
}

export function crossCheck(config: GatewayConfig): string[] {
  const problems: string[] = [];
  for (const id of duplicates(config.tenants.map((t) => t.id))) problems.push(`tenants: duplicate tenant id "${id}"`);
  for (const id of duplicates(config.carriers.map((c) => c.id))) problems.push(`carriers: duplicate carrier id "${id}"`);
  config.tenants.forEach((t, i) => {
    if (t.apiKeys.length + t.apiKeySha256.length === 0) problems.push(`tenants[${i}].apiKeys: tenant "${t.id}" has no API key (apiKeys or apiKeySha256)`);
  });
  // Compare digests, so a key given as plaintext to one tenant and as a hash to another is caught too.
  const owners = new Map<string, string>();
  config.tenants.forEach((t, i) => {
    for (const digest of new Set([...t.apiKeySha256, ...t.apiKeys.map(sha256Hex)])) {
      const owner = owners.get(digest);
      if (owner !== undefined && owner !== t.id) problems.push(`tenants[${i}]: an API key of tenant "${t.id}" (sha256 ${digest.slice(0, 8)}…) is also a key of tenant "${owner}"`);
      owners.set(digest, t.id);
    }
  });
  const accounts = new Map<string, string>();
  config.tenants.forEach((t, i) => {
    if (t.twilio === undefined) return;
    const owner = accounts.get(t.twilio.accountSid);
    if (owner !== undefined) problems.push(`tenants[${i}].twilio.accountSid: ${t.twilio.accountSid} is also the Twilio account of tenant "${owner}"`);
    accounts.set(t.twilio.accountSid, t.id);
    if (t.twilio.authToken !== undefined && t.twilio.authTokenSha256 !== undefined && t.twilio.authTokenSha256 !== sha256Hex(t.twilio.authToken)) {
      problems.push(`tenants[${i}].twilio.authTokenSha256: is not the SHA-256 of authToken; give one of the two`);
    }
  });
  config.carriers.forEach((c, i) => {
    for (const problem of checkCommandStatusOverrides(c.commandStatus)) problems.push(`carriers[${i}].commandStatus: ${problem}`);
  });
  problems.push(...checkRoutingTable(config.routes, config.carriers.map((c) => c.id)));
  problems.push(...checkCompliance(config));
  return problems;
}

/**
 * What is legal but worth saying at every synth: a routing table without a default
 * route, carriers that add up to more TPS than a worker task carries. `local`: a local
 * deploy, where no worker task runs (the worker is a local process).
 */
export function configWarnings(config: GatewayConfig, { local = false }: { local?: boolean } = {}): string[] {
  return [...routingWarnings(config.routes), ...workerSizingWarnings(config, { local }), ...complianceWarnings(config, { local })];
}
