import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CALLING_CODES } from '../../core/config/numbering-plans';
import type { RouteConfig, RouteMatch } from '../../core/config/schema';
import { reachableCallingCodes } from '../../core/domain/reachable-calling-codes';
import { RoutingTable } from '../../core/domain/routing';
import { normaliseDestination } from '../../core/domain/submission';
import { parseNumber } from '../../core/domain/phone-numbers';
import { defaultRoute, staticRoute } from '../support/factories';
import { numberCorpus } from '../support/numbers';

const ALL_CODES = Object.keys(CALLING_CODES);

function reach(...routes: RouteConfig[]): string[] {
  return reachableCallingCodes(routes, CALLING_CODES);
}

describe('reachableCallingCodes', () => {
  it.each([
    { name: 'a prefix of a whole calling code', match: { prefix: ['+1'] }, codes: ['1'] },
    { name: 'a prefix longer than its calling code', match: { prefix: ['+447'] }, codes: ['44'] },
    { name: 'a prefix shorter than the calling codes it starts', match: { prefix: ['+88'] }, codes: ['880', '881', '882', '883', '886', '888'] },
    { name: 'several prefixes', match: { prefix: ['+447', '+4915'] }, codes: ['44', '49'] },
    { name: 'a country', match: { country: ['DE'] }, codes: ['49'] },
    { name: 'a country that shares its calling code', match: { country: ['GG'] }, codes: ['44'] },
    { name: 'a prefix and a country that agree', match: { prefix: ['+44'], country: ['GB'] }, codes: ['44'] },
    { name: 'a prefix and a country that never meet', match: { prefix: ['+1'], country: ['GB'] }, codes: [] },
    { name: 'a country no plan knows', match: { country: ['ZZ'] }, codes: [] },
    { name: 'a prefix no calling code starts', match: { prefix: ['+999'] }, codes: [] },
  ])('a route matching $name reaches $codes', ({ match, codes }) => {
    expect(reach(staticRoute('r', 'c-a', match))).toEqual(codes);
  });

  it('a prefix of one digit reaches every calling code that starts with it', () => {
    expect(reach(staticRoute('r', 'c-a', { prefix: ['+3'] }))).toEqual(ALL_CODES.filter((code) => code.startsWith('3')));
  });

  it.each([
    { name: 'a default route', route: defaultRoute('rest', 'c-a') },
    { name: 'a route without a destination filter', route: staticRoute('globex', 'c-a', { tenant: ['globex'], type: ['promotional'] }) },
    { name: 'a route without filters', route: staticRoute('all', 'c-a') },
  ])('$name reaches every calling code', ({ route }) => {
    expect(reach(staticRoute('uk', 'c-b', { prefix: ['+447'] }), route)).toEqual(ALL_CODES);
  });

  it('a table without routes reaches none', () => {
    expect(reach()).toEqual([]);
  });
});

describe('reachableCallingCodes never leaves out a code the routing table routes to', () => {
  // Prepare: every valid mobile of the corpus, as the API hands it to the router.
  const mobiles = numberCorpus()
    .map((to) => ({ to, destination: normaliseDestination(to) }))
    .flatMap(({ to, destination }) => ('e164' in destination ? [{ ...destination, callingCode: parseNumber(to)!.countryCallingCode }] : []));
  const countries = [...new Set(Object.values(CALLING_CODES).flat())];
  const prefix = fc.oneof(
    fc.constantFrom(...mobiles.map((m) => m.e164)).chain((e164) => fc.integer({ min: 2, max: 7 }).map((n) => e164.slice(0, n))),
    fc.stringMatching(/^\+[0-9]{1,4}$/),
  );
  const match: fc.Arbitrary<RouteMatch> = fc.record(
    {
      prefix: fc.array(prefix, { minLength: 1, maxLength: 3 }),
      country: fc.array(fc.constantFrom(...countries), { minLength: 1, maxLength: 3 }),
      tenant: fc.constant(['globex']),
      type: fc.constant(['promotional' as const]),
    },
    { requiredKeys: [] },
  );
  const table = fc.tuple(fc.array(match, { maxLength: 5 }), fc.boolean()).map(([matches, withDefault]) => [
    ...matches.map((m, i) => staticRoute(`r${i}`, 'c-a', m)),
    ...(withDefault ? [defaultRoute('rest', 'c-a')] : []),
  ]);

  it('for random tables and every mobile of the corpus', () => {
    fc.assert(
      fc.property(table, fc.constantFrom('acme', 'globex'), fc.constantFrom('transactional' as const, 'promotional' as const), (routes, tenantId, type) => {
        // Act
        const reached = new Set(reach(...routes));
        const routing = new RoutingTable(routes);
        const missed = mobiles.filter((m) => routing.select({ to: m.e164, country: m.country, tenantId, type }).outcome === 'routed' && !reached.has(m.callingCode));
        // Assess
        expect(missed).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });
});
