import { describe, expect, it } from 'vitest';
import type { PricesConfig } from '../../core/config/schema';
import { fromMicros, priceMicros, priceOf, rateMicros, toMicros } from '../../core/domain/prices';

const PRICES: PricesConfig = { currency: 'EUR', perSegment: { default: 0.05, GB: 0.04 }, carriers: { 'c-b': { GB: 0.035, DE: 0.07 } } };

describe('prices', () => {
  it('takes the carrier’s own price for the country when the message was routed to that carrier', () => {
    expect(rateMicros(PRICES, { country: 'GB', carrierId: 'c-b' })).toBe(35_000);
    expect(rateMicros(PRICES, { country: 'DE', carrierId: 'c-b' })).toBe(70_000);
  });

  it('falls back to the country’s price, then to the default', () => {
    expect(rateMicros(PRICES, { country: 'GB', carrierId: 'c-a' })).toBe(40_000);
    expect(rateMicros(PRICES, { country: 'GB' })).toBe(40_000);
    expect(rateMicros(PRICES, { country: 'FR', carrierId: 'c-b' })).toBe(50_000);
    expect(rateMicros(PRICES, {})).toBe(50_000);
  });

  it('prices segments × rate, exactly, where binary floating point would not', () => {
    // 3 × 0.1 is 0.30000000000000004 in floating point; in micros it is 300000.
    const prices: PricesConfig = { currency: 'USD', perSegment: { default: 0.1 } };
    expect(priceMicros(prices, { segments: 3 })).toBe(300_000);
    expect(priceOf(prices, { segments: 3 })).toEqual({ price: 0.3, currency: 'USD' });
    expect(priceOf({ currency: 'USD', perSegment: { default: 0.000001 } }, { segments: 7 })).toEqual({ price: 0.000007, currency: 'USD' });
  });

  it('shows sums of many prices as the exact decimal', () => {
    const micros = Array.from({ length: 1000 }, () => toMicros(0.123457)).reduce((a, b) => a + b, 0);
    expect(micros).toBe(123_457_000);
    expect(fromMicros(micros)).toBe(123.457);
  });

  it('records no price without a price table', () => {
    expect(priceOf(undefined, { segments: 2, country: 'GB' })).toBeUndefined();
  });

  it('prices a free route at 0', () => {
    expect(priceOf({ currency: 'EUR', perSegment: { default: 0 } }, { segments: 4 })).toEqual({ price: 0, currency: 'EUR' });
  });
});
