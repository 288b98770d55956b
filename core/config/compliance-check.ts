/**
 * Config checks of the compliance fields (numbers, senders, opt-out, quotas, prices): what
 * crossCheck refuses, and what synth warns about. README#compliance describes the fields.
 */
import type { GatewayConfig } from './schema';

export function checkCompliance(config: GatewayConfig): string[] {
  const problems: string[] = [];
  const owners = new Map<string, string>();
  const carrierIds = new Set(config.carriers.map((c) => c.id));
  config.tenants.forEach((t, i) => {
    for (const n of t.numbers) {
      const owner = owners.get(n);
      if (owner !== undefined && owner !== t.id) problems.push(`tenants[${i}].numbers: ${n} is also a number of tenant "${owner}"; a number belongs to one tenant, which gets its inbound messages`);
      owners.set(n, t.id);
    }
    if (t.defaultSender !== undefined && t.senders !== undefined && !t.senders.includes(t.defaultSender) && !t.numbers.includes(t.defaultSender)) {
      problems.push(`tenants[${i}].defaultSender: "${t.defaultSender}" is not one of the tenant's senders or numbers`);
    }
    if (t.quota?.spendPerMonth !== undefined && config.prices === undefined) {
      problems.push(`tenants[${i}].quota.spendPerMonth: a spend cap needs prices (the price table gives each message its price)`);
    }
  });
  for (const id of Object.keys(config.prices?.carriers ?? {})) {
    if (!carrierIds.has(id)) problems.push(`prices.carriers.${id}: no carrier "${id}"`);
  }
  return problems;
}

/** Synth warnings outside a local config: a tenant without `senders` may send as any sender id; fictional numbers are on. */
export function complianceWarnings(config: GatewayConfig, { local = false }: { local?: boolean } = {}): string[] {
  if (local) return [];
  const fictional = config.fictionalNumbers ? ['fictionalNumbers: the API takes the ranges reserved for drama and testing (+447700900…) as mobile numbers, which no handset has; leave it to local configs'] : [];
  return fictional.concat(config.tenants
    .filter((t) => t.senders === undefined)
    .map((t) => `tenant "${t.id}" has no senders: it may send from any sender id, including another organisation's name (set tenants[].senders)`));
}
