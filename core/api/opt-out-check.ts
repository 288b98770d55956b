/**
 * The opt-out step of acceptance: which valid messages go to a number that opted out of their
 * tenant (or, with `optOut.scope: sender`, of their sender). Those are stored REJECTED with
 * `reason: opted_out`: never routed, never submitted, and they get no price and count no quota
 * (this step runs before the quota step, and a message it stops goes no further).
 *
 * One round trip for a request: a GetItem for one key, a BatchGetItem for a batch's keys
 * (core/aws/opt-out-store.ts inForce). Messages the tenant's `appliesTo` exempts (transactional
 * ones with `promotional`) are not looked up at all.
 */
import type { RuntimeTenant } from '../config/runtime';
import type { MessageType } from '../domain/envelopes';
import { optOutApplies, optOutScopes, type OptOut } from '../domain/opt-outs';
import type { OptOutRepository } from './opt-outs-api';

export { OPTED_OUT_REASON } from '../domain/opt-outs';

/** Per message, in order: the opt-out that stops it, or undefined. */
export async function optOutsStopping(
  optOuts: Pick<OptOutRepository, 'inForce'>,
  tenant: Pick<RuntimeTenant, 'id' | 'optOut'>,
  messages: readonly { to: string; from?: string; type: MessageType }[],
): Promise<(OptOut | undefined)[]> {
  const keysOf = messages.map((m) => (optOutApplies(tenant, m.type) ? optOutScopes(tenant, m.from).map((sender) => ({ number: m.to, sender })) : []));
  const keys = keysOf.flat();
  if (keys.length === 0) return messages.map(() => undefined);
  const found = await optOuts.inForce(tenant.id, keys);
  return keysOf.map((ks) => found.find((o) => ks.some((k) => o.number === k.number && o.sender === k.sender)));
}
