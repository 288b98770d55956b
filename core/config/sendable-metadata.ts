/**
 * The numbering plans the gateway parses destinations with: libphonenumber-js's "mobile" metadata,
 * in which a valid number is a mobile-capable one, with the patterns of the number types the API
 * refuses as `destination-not-allowed` added from its "max" metadata (both as installed from the
 * lockfile). Fixed-line patterns stay out: a landline is still "not a valid mobile number", as
 * before. Personal numbers stay out too: their patterns are the largest of all (6 KB of the api
 * bundle's slice, mostly the +1 countries' 5XX range), so they remain invalid numbers.
 *
 * Only the type table (index 11 of a plan) changes; the rest of each plan is the mobile one, which
 * is the same in both files (test/unit/numbering-plans.test.ts checks it). Used at synth (numbering-plans.ts cuts it to the routed calling codes)
 * and by processes that run from source (tests, tools); a bundle carries only what synth compiled.
 */
import type { MetadataJson } from 'libphonenumber-js/core';

/** Positions in libphonenumber-js's compressed type table (metadata.js getType). */
const TYPE_INDEX = { fixedLine: 0, mobile: 1, tollFree: 2, premiumRate: 3, personalNumber: 4, voicemail: 5, uan: 6, pager: 7, voip: 8, sharedCost: 9 } as const;

/** The refused types whose patterns are added: what destination-rules.ts tells apart from a plain invalid number. */
const ADDED_TYPES = [TYPE_INDEX.tollFree, TYPE_INDEX.premiumRate, TYPE_INDEX.voicemail, TYPE_INDEX.uan, TYPE_INDEX.pager, TYPE_INDEX.voip, TYPE_INDEX.sharedCost];

type Plan = unknown[];
const TYPES = 11;

function withRefusedTypes(plan: Plan, max: Plan | undefined): Plan {
  const types = plan[TYPES];
  const maxTypes = max?.[TYPES];
  if (!Array.isArray(types) || !Array.isArray(maxTypes)) return plan;
  const merged: unknown[] = Array.from({ length: 10 }, (_, i) => (i === TYPE_INDEX.mobile ? (types[i] ?? 0) : ADDED_TYPES.includes(i as never) ? (maxTypes[i] ?? 0) : 0));
  while (merged.length > 0 && merged[merged.length - 1] === 0) merged.pop();
  const copy = [...plan];
  copy[TYPES] = merged;
  return copy;
}

function mergePlans(plans: Record<string, unknown>, maxPlans: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(plans).map(([key, plan]) => [key, withRefusedTypes(plan as Plan, maxPlans[key] as Plan | undefined)]));
}

/**
 * The mobile metadata with the refused types' patterns of the max metadata, for every calling
 * code. The caller requires both files: a bundle's dead branch then carries neither.
 */
export function sendableMetadata(mobile: MetadataJson, max: MetadataJson): MetadataJson {
  return {
    ...mobile,
    countries: mergePlans(mobile.countries, max.countries) as MetadataJson['countries'],
    nonGeographic: mergePlans(mobile.nonGeographic, max.nonGeographic) as MetadataJson['nonGeographic'],
  };
}
