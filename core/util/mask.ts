/**
 * Masking for logs: phone numbers keep the country code and the last two digits
 * ("+44*******23"); message text is never logged at all.
 */
import { parseNumber } from '../domain/phone-numbers';

export function maskNumber(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const digits = value.replace(/[^0-9]/g, '');
  if (!/^\+?[0-9]{5,}$/.test(value.replace(/[\s-]/g, ''))) return value.length > 11 ? `${value.slice(0, 2)}***` : value; // alphanumeric sender ids are not personal data
  const cc = parseNumber(value.startsWith('+') ? value : `+${value}`)?.countryCallingCode ?? '';
  const keep = cc.length > 0 && digits.startsWith(cc) ? cc : '';
  const hidden = Math.max(0, digits.length - keep.length - 2);
  return `+${keep}${'*'.repeat(hidden)}${digits.slice(-2)}`;
}
