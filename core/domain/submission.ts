/**
 * Validation of one message submission (the body of POST /v1/messages or one
 * item of a batch). Pure: schema, E.164 destination, sender-id rules, encoding
 * and segment limits. Errors name the field, the problem and the limit.
 */
// zod/mini: tree-shakable, keeps the Lambda bundles small (classic zod adds ~400 KB).
import * as z from 'zod/mini';
import { analyzeText, type Encoding } from './encoding';
import { parseNumber, unroutedCallingCode } from './phone-numbers';
import { checkCallbackUrl, type CallbackUrlOptions } from './webhook';
import type { MessageType } from './envelopes';

export const MAX_TEXT_UNITS = 1600;

/**
 * A string of whole characters: an unpaired UTF-16 surrogate (a JSON "\ud800" escape) is not text.
 * It has no UTF-8 form, so DynamoDB could not store it as sent and no handset could show it.
 */
const wholeCharacters = (field: string) => z.refine<string>((v) => !/[\uD800-\uDFFF]/u.test(v), `${field} holds an unpaired UTF-16 surrogate (half of a character)`);

export const SubmissionBody = z.strictObject({
  to: z.string().check(z.minLength(1, 'to must not be empty'), z.maxLength(32, 'to is at most 32 characters')),
  from: z.optional(z.string().check(z.minLength(1, 'from must not be empty'), z.maxLength(16, 'from is at most 16 characters'))),
  text: z.string().check(z.minLength(1, 'text must not be empty'), z.maxLength(MAX_TEXT_UNITS, `text is at most ${MAX_TEXT_UNITS} characters`), wholeCharacters('text')),
  reference: z.optional(z.string().check(z.minLength(1, 'reference must not be empty'), z.maxLength(128, 'reference is at most 128 characters'), wholeCharacters('reference'))),
  callbackUrl: z.optional(z.url({ protocol: /^https?$/, error: 'callbackUrl must be an http(s) URL' }).check(z.maxLength(2048, 'callbackUrl is at most 2048 characters'))),
  validitySeconds: z.optional(z.int('validitySeconds must be a whole number of seconds').check(z.gte(60, 'validitySeconds is at least 60'), z.lte(7 * 86400, 'validitySeconds is at most 604800 (7 days)'))),
  type: z.optional(z.enum(['transactional', 'promotional'], 'type is "transactional" or "promotional"')),
  sendAt: z.optional(z.iso.datetime({ offset: true, error: 'sendAt must be an RFC 3339 date-time with a Z or ±hh:mm offset, e.g. 2026-05-01T09:30:00Z' })),
});
export type SubmissionBody = z.infer<typeof SubmissionBody>;

export interface FieldProblem {
  /** JSON pointer-ish path of the failing field, e.g. "to" or "messages[3].text". */
  field: string;
  problem: string;
}

export interface ValidSubmission {
  to: string;
  country?: string;
  /** libphonenumber's type of `to` when it is not a mobile number (TOLL_FREE, PREMIUM_RATE, …): destination-rules.ts refuses it. */
  numberType?: string;
  from?: string;
  text: string;
  type: MessageType;
  encoding: Encoding;
  segments: number;
  reference?: string;
  callbackUrl?: string;
  validitySeconds: number;
  /** ISO-8601 (UTC) time the request asked to send it at: SCHEDULED until then (core/domain/schedule.ts). */
  sendAt?: string;
}

export interface SubmissionLimits {
  maxSegments: number;
  defaultValiditySeconds: number;
  /** When given, a callbackUrl must pass these rules (https, no private hosts in AWS). */
  callbackUrls?: CallbackUrlOptions;
}

/** How far ahead a `sendAt` may be: at least a minute (a sweep's period, README#scheduled-send), at most 35 days. */
export const SEND_AT_MIN_AHEAD_SECONDS = 60;
export const SEND_AT_MAX_AHEAD_SECONDS = 35 * 86_400;

/** Why a `sendAt` cannot be taken at `now`, or undefined when it is in range. */
export function sendAtProblem(sendAt: string, now: Date): string | undefined {
  const ahead = (Date.parse(sendAt) - now.getTime()) / 1000;
  if (ahead < SEND_AT_MIN_AHEAD_SECONDS) return `sendAt must be at least ${SEND_AT_MIN_AHEAD_SECONDS} seconds ahead (the API's clock is ${now.toISOString()})`;
  if (ahead > SEND_AT_MAX_AHEAD_SECONDS) return `sendAt must be at most 35 days ahead (the API's clock is ${now.toISOString()})`;
  return undefined;
}

export type SubmissionResult = { ok: true; value: ValidSubmission } | { ok: false; problems: FieldProblem[] };

/** Sender-id rules: alphanumeric up to 11 characters (at least one letter), or numeric up to 15 digits (optional "+"). */
export function senderProblem(from: string): string | undefined {
  if (/^\+?[0-9]{1,15}$/.test(from)) return undefined;
  if (/^[A-Za-z0-9 ._-]{1,11}$/.test(from) && /[A-Za-z]/.test(from)) return undefined;
  if (/^[A-Za-z0-9 ._-]+$/.test(from) && /[A-Za-z]/.test(from)) return 'an alphanumeric sender id is at most 11 characters';
  return 'sender id must be alphanumeric (letters, digits, space . _ -, at most 11 characters) or numeric (at most 15 digits)';
}

/** The types of a number SMS reaches: any other type a valid number has is one the gateway refuses. */
const MOBILE_TYPES: ReadonlySet<string | undefined> = new Set(['MOBILE', 'FIXED_LINE_OR_MOBILE']);

/**
 * Normalises a destination to E.164, or says why it is not a valid mobile-capable number. A number
 * of a refused type (toll-free, premium-rate, …) is valid here, with its `numberType`: refusing it
 * is a destination rule (destination-rules.ts), answered `destination-not-allowed`.
 */
export function normaliseDestination(to: string): { e164: string; country?: string; numberType?: string } | { problem: string } {
  if (!to.startsWith('+')) return { problem: 'destination must be in international E.164 form, starting with "+" and the country code' };
  const parsed = parseNumber(to);
  if (!parsed) {
    // Only a bundle whose routes leave out some calling codes has an unrouted one (phone-numbers.ts).
    const callingCode = unroutedCallingCode(to);
    return { problem: callingCode ? `no route of this gateway reaches country calling code +${callingCode}` : 'destination is not a phone number' };
  }
  if (!parsed.isValid()) return { problem: 'destination is not a valid mobile number for its country' };
  const type = parsed.getType();
  return { e164: parsed.number, ...(parsed.country ? { country: parsed.country } : {}), ...(MOBILE_TYPES.has(type) ? {} : { numberType: type ?? 'UNKNOWN' }) };
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let value = raw;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function jsonType(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** Field problems from a zod error, worded from the input itself (zod's own messages depend on its locale setup). */
export function zodProblems(error: { issues: z.core.$ZodIssue[] }, raw: unknown, prefix = ''): FieldProblem[] {
  return error.issues.map((issue) => {
    const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
    const base = `${prefix}${path}`.replace(/^\./, '');
    if (issue.code === 'unrecognized_keys') {
      // An empty key is named "" so that the field is never an empty string.
      return { field: issue.keys.map((k) => (k === '' ? '""' : k)).map((k) => (base ? `${base}.${k}` : k)).join(', '), problem: 'unknown field' };
    }
    // zod words untyped issues "Invalid input…" (more or less, by locale setup); a schema's own message is kept.
    if (issue.code === 'invalid_type' && issue.message.startsWith('Invalid input')) {
      const value = valueAt(raw, issue.path);
      const expected = { object: 'a JSON object', array: 'an array', int: 'a whole number' }[issue.expected as string] ?? `a ${issue.expected}`;
      return { field: base || '(body)', problem: value === undefined ? 'is required' : `must be ${expected}, got ${jsonType(value)}` };
    }
    return { field: base || '(body)', problem: issue.message };
  });
}

/** `now` is the API's clock, which a `sendAt` must be ahead of. */
export function validateSubmission(raw: unknown, limits: SubmissionLimits, prefix = '', now = new Date()): SubmissionResult {
  const parsed = SubmissionBody.safeParse(raw);
  if (!parsed.success) return { ok: false, problems: zodProblems(parsed.error, raw, prefix) };
  const body = parsed.data;
  const problems: FieldProblem[] = [];
  const field = (name: string) => (prefix ? `${prefix}.${name}` : name);

  const destination = normaliseDestination(body.to);
  if ('problem' in destination) problems.push({ field: field('to'), problem: destination.problem });

  if (body.from !== undefined) {
    const problem = senderProblem(body.from);
    if (problem) problems.push({ field: field('from'), problem });
  }

  if (body.callbackUrl !== undefined && limits.callbackUrls) {
    const check = checkCallbackUrl(body.callbackUrl, limits.callbackUrls);
    if (!check.ok) problems.push({ field: field('callbackUrl'), problem: check.problem });
  }

  if (body.sendAt !== undefined) {
    const problem = sendAtProblem(body.sendAt, now);
    if (problem) problems.push({ field: field('sendAt'), problem });
  }

  const analysis = analyzeText(body.text);
  if (analysis.segments > limits.maxSegments) {
    problems.push({
      field: field('text'),
      problem: `text needs ${analysis.segments} segments in ${analysis.encoding} (${analysis.units} ${analysis.encoding === 'GSM7' ? 'septets' : 'UTF-16 units'}); the limit is ${limits.maxSegments}`,
    });
  }
  if (problems.length > 0 || 'problem' in destination) return { ok: false, problems };

  return {
    ok: true,
    value: {
      to: destination.e164,
      ...(destination.country ? { country: destination.country } : {}),
      ...(destination.numberType ? { numberType: destination.numberType } : {}),
      ...(body.from !== undefined ? { from: body.from } : {}),
      text: body.text,
      type: body.type ?? 'transactional',
      encoding: analysis.encoding,
      segments: analysis.segments,
      ...(body.reference !== undefined ? { reference: body.reference } : {}),
      ...(body.callbackUrl !== undefined ? { callbackUrl: body.callbackUrl } : {}),
      validitySeconds: body.validitySeconds ?? limits.defaultValiditySeconds,
      ...(body.sendAt !== undefined ? { sendAt: new Date(body.sendAt).toISOString() } : {}),
    },
  };
}
