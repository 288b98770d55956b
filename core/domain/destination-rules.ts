/**
 * Where a tenant may send (README#sender-ids-and-destinations): never to a number of a type that is
 * not a mobile's (toll-free, premium-rate, shared-cost, VoIP-only, or another libphonenumber type:
 * UAN, pager, voicemail), which costs the sender or inflates traffic; and, with `countries` set,
 * only inside its allow list or outside its block list. A number with no country (the
 * non-geographic +800 and the like) is outside every allow list.
 */
import type { RuntimeTenant } from '../config/runtime';
import type { ValidSubmission } from './submission';

/** How a refused type is named in the answer. */
const TYPE_NAMES: Readonly<Record<string, string>> = {
  TOLL_FREE: 'toll-free',
  PREMIUM_RATE: 'premium-rate',
  SHARED_COST: 'shared-cost',
  VOIP: 'VoIP-only',
  UAN: 'universal access (UAN)',
  PAGER: 'pager',
  VOICEMAIL: 'voicemail',
};

/** Why the tenant may not send to this destination, or undefined when it may. */
export function destinationProblem(v: Pick<ValidSubmission, 'country' | 'numberType'>, tenant: Pick<RuntimeTenant, 'countries'>): string | undefined {
  if (v.numberType !== undefined) return `destination is a ${TYPE_NAMES[v.numberType] ?? 'non-mobile'} number, which the gateway does not send to`;
  const countries = tenant.countries;
  if (countries === undefined) return undefined;
  if ('allow' in countries) {
    if (v.country !== undefined && countries.allow.includes(v.country)) return undefined;
    return `destination country ${v.country ?? '(none: a non-geographic number)'} is not among the tenant’s countries (${countries.allow.join(', ')})`;
  }
  if (v.country !== undefined && countries.block.includes(v.country)) return `destination country ${v.country} is blocked for the tenant`;
  return undefined;
}
