/**
 * Opt-outs: a recipient's STOP (or an API call) ends a tenant's traffic to a number. An opt-out
 * belongs to one tenant; with `optOut.scope: sender` it covers one sender (the tenant number the
 * STOP was sent to) instead of all of the tenant's. Pure: the store is core/aws/opt-out-store.ts.
 */
import type { RuntimeTenant } from '../config/runtime';
import type { MessageType } from './envelopes';

export type OptOutSource = 'keyword' | 'api';

/** An opt-out in force, as GET /v1/opt-outs/{number} shows it. */
export interface OptOut {
  number: string;
  /** Only for `optOut.scope: sender`, when it covers one sender: the tenant number it was sent to. */
  sender?: string;
  optedOutAt: string;
  source: OptOutSource;
  /** The keyword, as the recipient sent it (trimmed), when `source` is keyword. */
  keyword?: string;
}

/** The reason of a message stopped by an opt-out (REJECTED). */
export const OPTED_OUT_REASON = 'opted_out';

/**
 * Whether a tenant's opt-outs stop a message of this type: with `appliesTo: promotional`,
 * transactional messages (OTPs, alerts) still go to an opted-out number.
 */
export function optOutApplies(tenant: Pick<RuntimeTenant, 'optOut'>, type: MessageType): boolean {
  return tenant.optOut.appliesTo === 'all' || type === 'promotional';
}

/**
 * The opt-outs that would stop a message from `from` to a number: the tenant-wide one, and with
 * scope `sender` the one of that sender too. A message's `from` is compared as given.
 */
export function optOutScopes(tenant: Pick<RuntimeTenant, 'optOut'>, from: string | undefined): (string | undefined)[] {
  return tenant.optOut.scope === 'sender' && from !== undefined ? [undefined, from] : [undefined];
}
