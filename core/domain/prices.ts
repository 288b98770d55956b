/**
 * Message prices from the config's price table (README#prices-quotas-and-usage). Money is kept
 * in integer millionths of the currency unit ("micros"): the schema allows at most 6 decimals per
 * rate, so segments × rate and every sum of prices is an exact integer, and a total in
 * /v1/usage equals the sum of the prices the messages show. A price is shown as a JSON number
 * (micros / 1e6): for sums below 10^9 units that is the exact decimal, printed without binary noise.
 */
import type { PricesConfig } from '../config/schema';

export const MICROS_PER_UNIT = 1_000_000;

/** What a message is priced by: its segments, its destination country, and the carrier of its first attempt. */
export interface PricedMessage {
  segments: number;
  country?: string;
  /** The carrier the API routed the first attempt to, when it did (MessagesApi.firstRoute). */
  carrierId?: string;
}

/** A rate from the config as exact micros (the schema allows at most 6 decimals). */
export function toMicros(amount: number): number {
  return Math.round(amount * MICROS_PER_UNIT);
}

/** Micros as the decimal number the API shows. */
export function fromMicros(micros: number): number {
  return micros / MICROS_PER_UNIT;
}

/**
 * The rate of one segment, in micros: the carrier's own price for the country when the message
 * was routed to that carrier at acceptance, else the country's price, else the default.
 */
export function rateMicros(prices: PricesConfig, message: Omit<PricedMessage, 'segments'>): number {
  const country = message.country;
  const carrierRate = country !== undefined && message.carrierId !== undefined ? prices.carriers?.[message.carrierId]?.[country] : undefined;
  const rate = carrierRate ?? (country !== undefined ? prices.perSegment[country] : undefined) ?? prices.perSegment.default!;
  return toMicros(rate);
}

/** segments × rate, in micros. */
export function priceMicros(prices: PricesConfig, message: PricedMessage): number {
  return message.segments * rateMicros(prices, message);
}

/** The price and currency a message records and shows; nothing without a price table. */
export function priceOf(prices: PricesConfig | undefined, message: PricedMessage): { price: number; currency: string } | undefined {
  if (!prices) return undefined;
  return { price: fromMicros(priceMicros(prices, message)), currency: prices.currency };
}
