/**
 * Checks that need the whole configuration: unique ids and references between
 * sections. Route-table checks (unknown carriers, duplicates, unreachable
 * routes, missing default) live with the routing table in core/domain/routing.ts.
 */
import type { GatewayConfig } from './schema';
import { checkRoutingTable } from '../domain/routing';

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
  const allKeys = config.tenants.flatMap((t) => t.apiKeys);
  for (const k of duplicates(allKeys)) problems.push(`tenants: an API key ending "${k.slice(-4)}" is given to more than one tenant`);
  problems.push(...checkRoutingTable(config.routes, config.carriers.map((c) => c.id)));
  return problems;
}
