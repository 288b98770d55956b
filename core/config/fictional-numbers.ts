/**
 * Number ranges reserved for drama and testing: never assigned to a subscriber, so
 * libphonenumber calls them invalid (`+447700900123` is "not a valid mobile number"). They are
 * the numbers examples and test scripts use, the issue's own included. A config with
 * `fictionalNumbers: true` (config/local.yaml) has synth add them to their country's mobile
 * pattern in the numbering plans the bundles carry, so the API takes them as mobile numbers of
 * that country and the simulated carriers deliver them; nothing else changes. Synth warns when a
 * config for AWS turns it on: no real handset has these numbers.
 *
 * @example withFictionalNumbers(plans).metadata.countries.GB // its mobile pattern also matches 7700900123
 */
import type { MetadataJson } from 'libphonenumber-js/core';
import type { NumberingPlans } from '../domain/phone-numbers';

/** National significant numbers of each range, as a pattern, by country. */
export const FICTIONAL_MOBILE_RANGES: Readonly<Record<string, string>> = {
  /** Ofcom's drama range, 07700 900000 to 07700 900999. */
  GB: '7700900\\d{3}',
};

/** Position of the type table in a compressed plan, and of the mobile type in it (metadata.js). */
const TYPES = 11;
const MOBILE = 1;

/** The plans with each fictional range added to its country's mobile pattern, for the countries the plans hold. */
export function withFictionalNumbers(plans: NumberingPlans): NumberingPlans {
  const countries = { ...plans.metadata.countries } as Record<string, unknown[]>;
  for (const [country, range] of Object.entries(FICTIONAL_MOBILE_RANGES)) {
    const plan = countries[country];
    const types = plan?.[TYPES];
    const mobile = Array.isArray(types) ? types[MOBILE] : undefined;
    if (!plan || !Array.isArray(types) || !Array.isArray(mobile)) continue;
    const added = [...types];
    added[MOBILE] = [`${range}|${String(mobile[0])}`, ...mobile.slice(1)];
    const copy = [...plan];
    copy[TYPES] = added;
    countries[country] = copy;
  }
  return { ...plans, metadata: { ...plans.metadata, countries: countries as MetadataJson['countries'] } };
}
