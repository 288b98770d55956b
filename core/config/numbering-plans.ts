/**
 * The numbering plans a Lambda bundle carries (core/domain/phone-numbers.ts), compiled at synth from
 * the routes: libphonenumber-js's mobile metadata with the patterns of the refused number types
 * (sendable-metadata.ts), as installed from the lockfile (no download, no network at synth), cut down
 * to the country calling codes a route can reach (core/domain/reachable-calling-codes.ts). The cut is by calling code, never by country: every
 * country sharing a kept code keeps its plan ("+44" keeps GB, GG, IM and JE), so libphonenumber finds
 * the same country and gives the same verdict as with the whole metadata for every number of a kept
 * code. A number of a code left out is one no route could take anyway: the API refuses it naming `to`.
 *
 * @example
 * numberingPlansFor(runtimeConfig.routes) // { metadata: { …the plans of +1, +44, +49 }, unrouted: ['7', '20', …] }, or undefined
 */
import type { MetadataJson } from 'libphonenumber-js/core';
import type { NumberingPlans } from '../domain/phone-numbers';
import { reachableCallingCodes, type CallingCodes } from '../domain/reachable-calling-codes';
import type { RouteConfig } from './schema';

import { sendableMetadata } from './sendable-metadata';

// Required, not imported: TypeScript would type each JSON file from its content, which MetadataJson does not fit.
export const SENDABLE_METADATA = sendableMetadata(require('libphonenumber-js/metadata.mobile.json') as MetadataJson, require('libphonenumber-js/metadata.max.json') as MetadataJson);
const sendable = SENDABLE_METADATA;

/** Every calling code of the metadata, with its countries; the non-geographic ones (+800, +882, …) with none. */
export const CALLING_CODES: CallingCodes = {
  ...sendable.country_calling_codes,
  ...Object.fromEntries(Object.keys(sendable.nonGeographic).map((code) => [code, []])),
};

/**
 * The plans of the calling codes these routes reach, and the codes left out; undefined when they
 * reach every code (a default route, or a route without a prefix or country filter): then a bundle
 * carries the whole metadata.
 */
export function numberingPlansFor(routes: readonly RouteConfig[]): NumberingPlans | undefined {
  const kept = new Set(reachableCallingCodes(routes, CALLING_CODES));
  const all = Object.keys(CALLING_CODES);
  if (kept.size === all.length) return undefined;
  const pick = <T>(record: Readonly<Record<string, T>>, keys: Iterable<string>): Record<string, T> =>
    Object.fromEntries([...keys].filter((k) => record[k] !== undefined).map((k) => [k, record[k]!]));
  const countryCodes = pick(sendable.country_calling_codes, kept);
  return {
    metadata: {
      version: sendable.version,
      country_calling_codes: countryCodes,
      countries: pick(sendable.countries, Object.values(countryCodes).flat()),
      nonGeographic: pick(sendable.nonGeographic, kept),
    },
    unrouted: all.filter((code) => !kept.has(code)),
  };
}
