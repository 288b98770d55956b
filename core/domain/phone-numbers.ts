/**
 * Phone numbers, parsed with the numbering plans of this process: libphonenumber-js's "mobile"
 * metadata, in which a valid number is a mobile-capable one (what SMS needs, and half the size of
 * "max"). A Lambda bundle whose routes reach only some country calling codes carries the plans of
 * those codes alone, compiled at synth from the routes (core/config/numbering-plans.ts) and injected
 * as the constant `process.env.GATEWAY_NUMBERING_PLANS`: that keeps the api bundle small. Everywhere
 * else — tests, tools, the worker, a bundle whose routes reach every code — the plans of every country.
 *
 * Within a calling code the slice holds the plans of all its countries, so a number of a code it
 * carries parses exactly as with the whole metadata; a number of a code it leaves out does not parse,
 * and unroutedCallingCode() names its code.
 */
import { parsePhoneNumberFromString, type MetadataJson, type PhoneNumber } from 'libphonenumber-js/core';

/** The numbering plans of a bundle: what synth injects as `process.env.GATEWAY_NUMBERING_PLANS` (JSON). */
export interface NumberingPlans {
  /** libphonenumber-js metadata, whole or cut down to some calling codes (every country of each). */
  metadata: MetadataJson;
  /** The calling codes left out because no route reaches them; empty for the whole metadata. */
  unrouted: string[];
}

// The condition tests the constant itself, not a variable holding it: esbuild then drops the branch not
// taken, and a bundle with a slice carries none of the whole metadata (~96 KB). Not external input:
// synth wrote it from the validated routes.
const plans: NumberingPlans =
  process.env.GATEWAY_NUMBERING_PLANS === undefined
    ? { metadata: require('libphonenumber-js/metadata.mobile.json') as MetadataJson, unrouted: [] }
    : (JSON.parse(process.env.GATEWAY_NUMBERING_PLANS) as NumberingPlans);

/** The number `text` holds ("+44 7400 123456"), valid or not; undefined when it holds none this process has a plan for. */
export function parseNumber(text: string): PhoneNumber | undefined {
  return parsePhoneNumberFromString(text, plans.metadata);
}

/**
 * The country calling code `text` starts with when it is one no route reaches, so this process has no
 * plan for it ("61" for "+61 412 345 678" when no route reaches Australia); undefined otherwise.
 */
export function unroutedCallingCode(text: string): string | undefined {
  const digits = text.replace(/[^0-9]/g, '');
  // Calling codes are prefix-free: at most one can start the digits.
  return plans.unrouted.find((code) => digits.startsWith(code));
}
