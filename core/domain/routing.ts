/**
 * The routing table: which carrier delivers a message. Pure code, built from the
 * gateway config's `routes`.
 *
 * Semantics (README#routing):
 * - Routes are tried in order; the first route whose filters all match wins.
 *   A route's destination filter is a list of E.164 prefixes or of countries;
 *   tenant, sender and type filters are optional and must all match too.
 * - The default route (at most one, the last entry, no filters) takes what
 *   nothing else matched; without one such messages end REJECTED (no_route),
 *   and synth warns about it.
 * - A route listed after one that covers all it could match can never win: that
 *   is a config error, so more specific routes (longer prefixes) must come first.
 * - static: one carrier. weighted: a carrier drawn by weight among the healthy
 *   ones. failover: the first healthy carrier in order. When no candidate is
 *   healthy the first (failover) or a weighted draw (weighted) is still chosen:
 *   the message waits in that carrier's queue instead of being rejected.
 */
import type { RouteConfig, RouteMatch } from '../config/schema';
import type { RoutingFields } from './envelopes';

/** What the routing table looks at: the routing fields but the validity (which the router checks itself). */
export type RoutingInput = Omit<RoutingFields, 'validUntil'>;

export interface RouteSelected {
  outcome: 'routed';
  routeId: string;
  carrierId: string;
  /** Why this route and carrier: human-readable, returned by dry runs. */
  reason: string;
  /** Carriers passed over because they were unhealthy. */
  skipped: string[];
}

export interface RouteNotFound {
  outcome: 'no_route';
  reason: string;
}

export type RouteDecision = RouteSelected | RouteNotFound;

/** Answers whether a carrier currently has a fresh heartbeat with a bind up. */
export type HealthCheck = (carrierId: string) => boolean;

const ALL_HEALTHY: HealthCheck = () => true;

function describeMatch(route: RouteConfig, input: RoutingInput): string {
  if (route.default) return `default route "${route.id}"`;
  const m = route.match ?? {};
  const parts: string[] = [];
  if (m.prefix) {
    const longest = m.prefix.filter((p) => input.to.startsWith(p)).sort((a, b) => b.length - a.length)[0];
    parts.push(`prefix ${longest}`);
  }
  if (m.country) parts.push(`country ${input.country}`);
  if (m.tenant) parts.push(`tenant ${input.tenantId}`);
  if (m.sender) parts.push(`sender ${input.from}`);
  if (m.type) parts.push(`type ${input.type}`);
  return `route "${route.id}" matched ${parts.join(', ') || 'everything'}`;
}

function matches(m: RouteMatch | undefined, input: RoutingInput): boolean {
  if (!m) return true;
  if (m.prefix && !m.prefix.some((p) => input.to.startsWith(p))) return false;
  if (m.country && !(input.country !== undefined && m.country.includes(input.country))) return false;
  if (m.tenant && !m.tenant.includes(input.tenantId)) return false;
  if (m.sender && !(input.from !== undefined && m.sender.includes(input.from))) return false;
  if (m.type && !m.type.includes(input.type)) return false;
  return true;
}

function pickWeighted(carriers: { id: string; weight: number }[], random: () => number): string {
  const total = carriers.reduce((sum, c) => sum + c.weight, 0);
  let draw = random() * total;
  for (const c of carriers) {
    draw -= c.weight;
    if (draw < 0) return c.id;
  }
  // random() may return a value that rounds to total; the last carrier takes it.
  return carriers[carriers.length - 1]!.id;
}

export class RoutingTable {
  constructor(private readonly routes: readonly RouteConfig[]) {}

  /** The carriers a route may use, in preference order. */
  static carriersOf(route: RouteConfig): string[] {
    switch (route.kind) {
      case 'static':
        return [route.carrier];
      case 'weighted':
        return route.carriers.map((c) => c.id);
      case 'failover':
        return route.carriers;
    }
  }

  select(input: RoutingInput, healthy: HealthCheck = ALL_HEALTHY, random: () => number = Math.random): RouteDecision {
    const route = this.routes.find((r) => r.default || matches(r.match, input));
    if (!route) return { outcome: 'no_route', reason: `no route matches destination ${input.to.slice(0, 4)}… and there is no default route` };
    const why = describeMatch(route, input);
    switch (route.kind) {
      case 'static':
        return { outcome: 'routed', routeId: route.id, carrierId: route.carrier, reason: `${why}; static carrier`, skipped: [] };
      case 'weighted': {
        const live = route.carriers.filter((c) => healthy(c.id));
        const pool = live.length > 0 ? live : route.carriers;
        const skipped = route.carriers.filter((c) => !live.includes(c)).map((c) => c.id);
        const carrierId = pickWeighted(pool, random);
        const note = live.length > 0 ? 'drawn by weight among healthy carriers' : 'no carrier healthy: drawn by weight among all';
        return { outcome: 'routed', routeId: route.id, carrierId, reason: `${why}; ${note}`, skipped };
      }
      case 'failover': {
        const index = route.carriers.findIndex((id) => healthy(id));
        if (index === -1) {
          return { outcome: 'routed', routeId: route.id, carrierId: route.carriers[0]!, reason: `${why}; no carrier healthy: queued for the first`, skipped: [...route.carriers] };
        }
        const skipped = route.carriers.slice(0, index);
        const note = index === 0 ? 'first carrier healthy' : `failed over past ${skipped.join(', ')} (unhealthy)`;
        return { outcome: 'routed', routeId: route.id, carrierId: route.carriers[index]!, reason: `${why}; ${note}`, skipped };
      }
    }
  }
}

/** True when every value `inner` could match is matched by `outer` (undefined = matches all). */
function covers(outer: readonly string[] | undefined, inner: readonly string[] | undefined): boolean {
  if (!outer) return true;
  if (!inner) return false;
  return inner.every((v) => outer.includes(v));
}

function prefixesCover(outer: readonly string[] | undefined, inner: readonly string[] | undefined): boolean {
  if (!outer) return true;
  if (!inner) return false;
  return inner.every((p) => outer.some((o) => p.startsWith(o)));
}

/** True when route `a`, listed earlier, matches every message route `b` could match. */
function shadows(a: RouteMatch, b: RouteMatch): boolean {
  // Every filter of `a` must cover the same filter of `b` (a missing filter covers all).
  // A prefix filter and a country filter are not comparable without the numbering plan,
  // so a country filter never covers a prefix-only route, nor the reverse.
  return (
    prefixesCover(a.prefix, b.prefix) &&
    covers(a.country, b.country) &&
    covers(a.tenant, b.tenant) &&
    covers(a.sender, b.sender) &&
    covers(a.type, b.type)
  );
}

/**
 * Validates a routing table against the configured carriers. Returns one message
 * per problem, each naming the route; an empty array means the table is sound.
 */
export function checkRoutingTable(routes: readonly RouteConfig[], carrierIds: readonly string[]): string[] {
  const problems: string[] = [];
  if (routes.length === 0) {
    if (carrierIds.length > 0) problems.push('routes: carriers are configured but there is no route (add at least a default route)');
    return problems;
  }
  const seenIds = new Set<string>();
  routes.forEach((route, i) => {
    const at = `routes[${i}] "${route.id}"`;
    if (seenIds.has(route.id)) problems.push(`${at}: duplicate route id`);
    seenIds.add(route.id);
    for (const carrier of RoutingTable.carriersOf(route)) {
      if (!carrierIds.includes(carrier)) problems.push(`${at}: unknown carrier "${carrier}"`);
    }
    const ids = RoutingTable.carriersOf(route);
    if (new Set(ids).size !== ids.length) problems.push(`${at}: a carrier is listed twice`);
    if (route.default) {
      if (route.match !== undefined) problems.push(`${at}: the default route takes no match filters`);
      if (i !== routes.length - 1) problems.push(`${at}: the default route must be the last route`);
      return;
    }
    const m = route.match;
    if (!m || Object.values(m).every((v) => v === undefined)) {
      problems.push(`${at}: a route needs a match (prefix, country, tenant, sender or type) unless it is the default route`);
      return;
    }
    for (const [field, values] of Object.entries(m)) {
      if (Array.isArray(values) && values.length === 0) problems.push(`${at}: match.${field} is empty, so the route can never match`);
    }
    for (let j = 0; j < i; j++) {
      const earlier = routes[j]!;
      if (earlier.default || !earlier.match) continue;
      if (shadows(earlier.match, m)) {
        const same = shadows(m, earlier.match);
        problems.push(
          same
            ? `${at}: duplicate of route "${earlier.id}" (same match), so it can never match`
            : `${at}: can never match, route "${earlier.id}" listed before it matches everything it would (put the more specific route first)`,
        );
        break;
      }
    }
  });
  return problems;
}

/**
 * Findings that are legal but worth saying at synth: a table without a default
 * route rejects (no_route) every message no route matches.
 */
export function routingWarnings(routes: readonly RouteConfig[]): string[] {
  if (routes.length > 0 && !routes.some((r) => r.default)) {
    return ['routes: no default route, so messages that match no route end REJECTED (no_route); add a route with default: true as the last entry to catch them'];
  }
  return [];
}
