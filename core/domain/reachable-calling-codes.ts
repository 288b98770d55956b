/**
 * Which country calling codes a routing table can deliver to: the routes' destination filters read
 * without a message, the way RoutingTable (routing.ts) applies them to one. Synth uses it to decide
 * which numbering plans the api bundle carries (core/config/numbering-plans.ts), so it must never
 * leave out a code that some message could be routed to; reaching more than the table can is safe.
 *
 * - A default route, or a route without a prefix or country filter (tenant, sender and type filters
 *   say nothing about the destination), reaches every code.
 * - A prefix reaches every code that numbers starting with it can have: "+447" reaches 44, "+1"
 *   reaches 1, "+3" reaches 30, 31, … 39x.
 * - A country reaches its calling code: "GG" reaches 44.
 * - A route with both reaches the codes that both allow: all its filters must match one number.
 *
 * @example
 * reachableCallingCodes([{ id: 'uk', kind: 'static', default: false, match: { prefix: ['+447'] }, carrier: 'a' }], callingCodes) // ['44']
 */
import type { RouteConfig } from '../config/schema';

/**
 * Every country calling code and the countries that share it, as libphonenumber's metadata lists them
 * ({ "1": ["US", "AG", …], "44": ["GB", "GG", "IM", "JE"], … }); non-geographic codes (+800, +882, …)
 * have no country. The codes are prefix-free (no code starts with another), as the ITU assigns them.
 */
export type CallingCodes = Readonly<Record<string, readonly string[]>>;

/** The codes of `callingCodes` (in their order) that a message could be routed to. */
export function reachableCallingCodes(routes: readonly RouteConfig[], callingCodes: CallingCodes): string[] {
  const codes = Object.keys(callingCodes);
  const reached = new Set(routes.flatMap((route) => codes.filter((code) => reaches(route, code, callingCodes[code] ?? []))));
  return codes.filter((code) => reached.has(code));
}

function reaches(route: RouteConfig, code: string, countries: readonly string[]): boolean {
  if (route.default) return true;
  const { prefix, country } = route.match ?? {};
  // A number "+<code><rest>" can start with a prefix exactly when the prefix's digits and the code agree as far as both go.
  const byPrefix = prefix === undefined || prefix.some((p) => p.slice(1).startsWith(code) || code.startsWith(p.slice(1)));
  const byCountry = country === undefined || countries.some((c) => country.includes(c));
  return byPrefix && byCountry;
}
