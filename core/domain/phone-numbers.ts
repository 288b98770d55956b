/**
 * Phone numbers, parsed with the numbering plans of this process: libphonenumber-js's "mobile"
 * metadata, in which a valid number is a mobile-capable one (what SMS needs, and half the size of
 * "max"), with the patterns of the types the API refuses (toll-free, premium-rate, shared-cost,
 * VoIP, UAN, pager, voicemail: core/config/sendable-metadata.ts), so that getType() names them.
 * Every Lambda bundle carries the plans compiled at synth from the routes (core/config/numbering-plans.ts)
 * and injected as the constant `process.env.GATEWAY_NUMBERING_PLANS`: those of the calling codes
 * the routes reach, which keeps the api bundle small, or every plan. Processes run from source —
 * tests, tools, the worker — merge the plans of every country when they load.
 *
 * Within a calling code the slice holds the plans of all its countries, so a number of a code it
 * carries parses exactly as with the whole metadata; a number of a code it leaves out does not parse,
 * and unroutedCallingCode() names its code.
 */
import { parsePhoneNumberFromString, type MetadataJson, type PhoneNumber } from 'libphonenumber-js/core';
import { sendableMetadata } from '../config/sendable-metadata';

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
    ? { metadata: sendableMetadata(require('libphonenumber-js/metadata.mobile.json') as MetadataJson, require('libphonenumber-js/metadata.max.json') as MetadataJson), unrouted: [] }
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
