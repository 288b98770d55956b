/**
 * SMS-pumping windows (core/domain/pumping.ts): one window per tenant, hour and country or prefix,
 * taken once per request for all its messages, with the counts DynamoPumpingCounter keeps.
 */
import { describe, expect, it } from 'vitest';
import { countPumping, countryLimit, epochHourOf, NON_GEOGRAPHIC, prefixOf, secondsToHourEnd } from '../../core/domain/pumping';
import { InMemoryPumpingCounter, MOBILE, NOW } from '../support/factories';

const HOUR = epochHourOf(NOW);
const country = (c: string) => InMemoryPumpingCounter.id({ tenantId: 'acme', epochHour: HOUR, scope: { country: c } });
const prefix = (p: string) => InMemoryPumpingCounter.id({ tenantId: 'acme', epochHour: HOUR, scope: { prefix: p } });
const gb = (last3: string, range = '+447400123') => ({ to: `${range}${last3}`, country: 'GB' });

describe('pumping windows', () => {
  it('name a number range by the destination without its last 3 digits', () => {
    expect(prefixOf('+447400123456')).toBe('+447400123');
  });

  it('last one UTC hour, and a refusal waits until the hour ends', () => {
    expect(epochHourOf(new Date('2026-12-01T17:59:59.999Z'))).toBe(epochHourOf(new Date('2026-12-01T17:00:00.000Z')));
    expect(epochHourOf(new Date('2026-12-01T18:00:00.000Z'))).toBe(epochHourOf(new Date('2026-12-01T17:00:00.000Z')) + 1);
    expect(secondsToHourEnd(new Date('2026-12-01T17:45:00.000Z'))).toBe(900);
    expect(secondsToHourEnd(new Date('2026-12-01T17:59:59.500Z'))).toBe(1);
  });

  it('take a country’s own limit over the default, and none when neither is set', () => {
    expect(countryLimit({ perCountryPerHour: { default: 10, NG: 2 } }, 'NG')).toBe(2);
    expect(countryLimit({ perCountryPerHour: { default: 10, NG: 2 } }, 'GB')).toBe(10);
    expect(countryLimit({ perCountryPerHour: { NG: 2 } }, 'GB')).toBeUndefined();
    expect(countryLimit({ perPrefixPerHour: 5 }, 'GB')).toBeUndefined();
  });
});

describe('countPumping', () => {
  it('counts messages until the prefix limit, then refuses the next one naming its window and limit', async () => {
    const counter = new InMemoryPumpingCounter();
    const outcomes = [];
    for (const last3 of ['001', '002', '003']) outcomes.push(...(await countPumping(counter, 'acme', { perPrefixPerHour: 2 }, [gb(last3)], NOW)));
    expect(outcomes).toEqual([undefined, undefined, { window: 'prefix', country: 'GB', limit: 2 }]);
    expect(counter.counts.get(prefix('+447400123'))).toBe(2);
  });

  it('counts another number range and another tenant in windows of their own', async () => {
    const counter = new InMemoryPumpingCounter();
    await countPumping(counter, 'acme', { perPrefixPerHour: 1 }, [gb('001')], NOW);
    expect(await countPumping(counter, 'acme', { perPrefixPerHour: 1 }, [gb('001', '+447400124')], NOW)).toEqual([undefined]);
    expect(await countPumping(counter, 'globex', { perPrefixPerHour: 1 }, [gb('001')], NOW)).toEqual([undefined]);
  });

  it('starts counting again in the next hour', async () => {
    const counter = new InMemoryPumpingCounter();
    await countPumping(counter, 'acme', { perPrefixPerHour: 1 }, [gb('001')], NOW);
    expect(await countPumping(counter, 'acme', { perPrefixPerHour: 1 }, [gb('002')], new Date(NOW.getTime() + 3_600_000))).toEqual([undefined]);
  });

  it('refuses by country with the country’s limit, and counts a number without a country as 001', async () => {
    const counter = new InMemoryPumpingCounter();
    const pumping = { perCountryPerHour: { default: 1, DE: 2 } };
    const outcomes = await countPumping(counter, 'acme', pumping, [gb('001'), gb('002', '+447800123'), { to: MOBILE.DE, country: 'DE' }, { to: '+881612345678' }], NOW);
    expect(outcomes).toEqual([undefined, { window: 'country', country: 'GB', limit: 1 }, undefined, undefined]);
    expect(counter.counts.get(country('DE'))).toBe(1);
    expect(counter.counts.get(country(NON_GEOGRAPHIC))).toBe(1);
  });

  it('takes each window of a batch once for all its messages, and gives the room left to the first ones in order', async () => {
    const counter = new InMemoryPumpingCounter();
    await countPumping(counter, 'acme', { perPrefixPerHour: 3 }, [gb('000')], NOW);
    counter.takes.length = 0;
    const outcomes = await countPumping(counter, 'acme', { perPrefixPerHour: 3 }, [gb('001'), gb('001', '+447800123'), gb('002'), gb('003')], NOW);
    expect(outcomes).toEqual([undefined, undefined, undefined, { window: 'prefix', country: 'GB', limit: 3 }]);
    expect(counter.takes).toEqual([
      { window: prefix('+447400123'), wanted: 3 },
      { window: prefix('+447800123'), wanted: 1 },
    ]);
  });

  it('gives back the country count of a message its prefix refused, so that the count holds only messages let through', async () => {
    const counter = new InMemoryPumpingCounter();
    const pumping = { perCountryPerHour: { default: 10 }, perPrefixPerHour: 1 };
    const outcomes = await countPumping(counter, 'acme', pumping, [gb('001'), gb('002'), gb('003')], NOW);
    expect(outcomes).toEqual([undefined, { window: 'prefix', country: 'GB', limit: 1 }, { window: 'prefix', country: 'GB', limit: 1 }]);
    expect(counter.counts.get(country('GB'))).toBe(1);
    expect(counter.counts.get(prefix('+447400123'))).toBe(1);
  });

  it('does not count a message the country refused in its prefix window', async () => {
    const counter = new InMemoryPumpingCounter();
    const pumping = { perCountryPerHour: { default: 1 }, perPrefixPerHour: 10 };
    await countPumping(counter, 'acme', pumping, [gb('001'), gb('002')], NOW);
    expect(counter.counts.get(prefix('+447400123'))).toBe(1);
  });
});
