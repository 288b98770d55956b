/**
 * A corpus of destination numbers for the numbering-plan tests, drawn from libphonenumber's own
 * example mobile number of every country and from the plans' calling codes: each example, the same
 * number with its first digit replaced by every other digit (landlines, other services, unassigned
 * ranges), with its last digit changed, one digit shorter and longer, random numbers of its length,
 * and random numbers for the non-geographic codes (+800, +882, …). Seeded: the same on every run.
 */
import { getCountryCallingCode, type CountryCode } from 'libphonenumber-js/mobile';
import examples from 'libphonenumber-js/mobile/examples';
import { CALLING_CODES } from '../../core/config/numbering-plans';
import { seededRandom } from './factories';

/** One example mobile number of each country, in E.164. */
export const EXAMPLE_MOBILES: readonly { country: string; e164: string }[] = Object.entries(examples).map(([country, national]) => ({
  country,
  e164: `+${getCountryCallingCode(country as CountryCode)}${national}`,
}));

/** Numbers mostly of no valid mobile: a landline, a short code, or nothing at all. */
export const ODD_NUMBERS: readonly string[] = ['+442071234567', '+447700900123', '+4930123456', '+999123456', '+0123456789', '+', '+44', '+1 (415) 555-2671', '+44 7400 123456', '+49-151-23456789'];

export function numberCorpus(seed = 1): string[] {
  const random = seededRandom(seed);
  const digits = (n: number): string => Array.from({ length: n }, () => Math.floor(random() * 10)).join('');
  const corpus = new Set<string>(ODD_NUMBERS);
  for (const { country, e164 } of EXAMPLE_MOBILES) {
    const code = getCountryCallingCode(country as CountryCode);
    const national = e164.slice(code.length + 1);
    corpus.add(e164);
    for (let d = 0; d <= 9; d++) corpus.add(`+${code}${d}${national.slice(1)}`);
    corpus.add(`+${code}${national.slice(0, -1)}${(Number(national.slice(-1)) + 1) % 10}`);
    corpus.add(`+${code}${national.slice(0, -1)}`);
    corpus.add(`+${code}${national}${digits(1)}`);
    for (let i = 0; i < 3; i++) corpus.add(`+${code}${digits(national.length)}`);
  }
  for (const [code, countries] of Object.entries(CALLING_CODES)) {
    if (countries.length === 0) for (let i = 0; i < 5; i++) corpus.add(`+${code}${digits(6 + Math.floor(random() * 7))}`);
  }
  return [...corpus];
}
