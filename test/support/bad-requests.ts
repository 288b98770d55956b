/**
 * Requests nobody should send, as fast-check arbitraries, shared by the API's
 * property tests in-process (test/unit/api-fuzz.test.ts) and on the deployed
 * stack (test/integration/api-fuzz.test.ts):
 *
 * - arbitrary JSON values as bodies of both POST endpoints;
 * - an otherwise valid message with one field replaced by a hostile value:
 *   unpaired surrogates, control and bidi characters, 10,000-character strings,
 *   deep nesting, huge and non-integer numbers, wrong types;
 * - raw bodies: duplicate keys, truncated JSON, bodies just at and just over
 *   the size limits, deep nesting of the body or of a batch item;
 * - wrong content types and charsets; fuzzed dryRun values; fuzzed ids for
 *   GET and DELETE.
 *
 * Each case says what it may be answered: `rejected` (a 4xx problem, naming
 * `field` when one is given) or `any` (a valid request is possible: 2xx as
 * documented, or a 4xx problem). Never a 5xx, and a refused request stores
 * nothing — the tests assert that.
 */
import fc from 'fast-check';
import { MAX_BATCH_BODY_BYTES, MAX_SINGLE_BODY_BYTES } from '../../core/api/messages-api';
import { MAX_JSON_DEPTH } from '../../core/http/json-body';
import { PROBLEM_TYPES, problemTypeName } from '../../core/http/problem';

export interface FuzzRequest {
  name: string;
  method: string;
  path: string;
  contentType?: string;
  query: Record<string, string>;
  body: string | null;
  /** `rejected`: must be a 4xx problem; `any`: may also be accepted. */
  expect: 'rejected' | 'any';
  /** The field a rejection must name (exactly this field among `errors`). */
  field?: string;
}

export const SINGLE = '/v1/messages';
export const BATCH = '/v1/messages/batch';
const VALID = { to: '+447400123456', text: 'Your code is 123456' } as const;
const FIELDS = ['to', 'from', 'text', 'reference', 'callbackUrl', 'validitySeconds', 'type'] as const;

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((u) => String.fromCharCode(u));
const control = fc.integer({ min: 0, max: 0x1f }).map((u) => String.fromCharCode(u));
const bidi = fc.constantFrom('\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069', '\u200e', '\u200f', '\u061c');
const oddities = fc.constantFrom('\ufeff', '\u0000', '\uffff', '\ufffe', '\u00a0', '\u2028', '\u2029', '🇬🇧', '👩‍👩‍👧', 'é', '€', '^{}[~]|\\');

/** Strings with unpaired surrogates, control and bidi characters, emoji and the GSM extension table, mixed with ordinary text. */
export const hostileString = fc.oneof(
  fc.string({ unit: fc.oneof(loneSurrogate, control, bidi, oddities, fc.string({ minLength: 1, maxLength: 1 })), maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.constantFrom(10_000, 1601, 1600, 161, 160, 71, 70).chain((n) => fc.constantFrom('a', 'é', '€', '😀', '\ud800').map((c) => c.repeat(n))),
);

/** A JSON text nested `depth` arrays or objects deep. */
export function nested(depth: number, kind: 'array' | 'object'): string {
  return kind === 'array' ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

/** JSON texts of values no field accepts as they are, or only by chance. */
const hostileValueText = fc.oneof(
  hostileString.map((s) => JSON.stringify(s)),
  fc.jsonValue({ maxDepth: 4, stringUnit: 'binary' }).map((v) => JSON.stringify(v)),
  fc.constantFrom('1e400', '-1e400', '1e308', '-0', '0.5', '60.000001', '604800.5', '9007199254740993', '123456789012345678901234567890', '-60', '1E2', 'true', 'null', '[]', '{}'),
  fc.double().map((d) => (Number.isFinite(d) ? JSON.stringify(d) : '0')),
  fc.integer({ min: 1, max: 20_000 }).chain((d) => fc.constantFrom('array' as const, 'object' as const).map((k) => nested(d, k))),
);

/** `{ ...valid, <field>: <raw JSON text> }` as a JSON text (the value is spliced in raw, so 1e400 stays 1e400). */
function withField(field: string, valueText: string): string {
  const rest = Object.entries(VALID).filter(([k]) => k !== field);
  return `{${[...rest.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`), `${JSON.stringify(field)}:${valueText}`].join(',')}}`;
}

/** How fast-check prints a case in a failure report: its name and the start of its body, not 100 KB of brackets. */
function describe(this: FuzzRequest): string {
  const body = this.body === null ? 'null' : `${JSON.stringify(this.body.slice(0, 120))}${this.body.length > 120 ? ` … (${this.body.length} characters)` : ''}`;
  return `${this.method} ${this.path}${Object.keys(this.query).length ? `?${new URLSearchParams(this.query)}` : ''} [${this.name}] content-type ${JSON.stringify(this.contentType)} body ${body}`;
}

export function fuzzRequest(fields: FuzzRequest): FuzzRequest {
  return Object.defineProperty(fields, fc.toStringMethod, { value: describe, enumerable: false });
}

const post = (name: string, path: string, body: string | null, expect: FuzzRequest['expect'], extra: Partial<FuzzRequest> = {}): FuzzRequest => {
  // A body over its resource's size limit is refused whole (413): no field can be named.
  const limit = path === BATCH ? MAX_BATCH_BODY_BYTES : MAX_SINGLE_BODY_BYTES;
  const oversized = body !== null && Buffer.byteLength(body) > limit;
  const { field, ...rest } = extra;
  return fuzzRequest({ name, method: 'POST', path, contentType: 'application/json', query: {}, body, ...rest, expect: oversized ? 'rejected' : expect, ...(field !== undefined && !oversized ? { field } : {}) });
};

/** Arbitrary JSON values as the whole body: never a valid submission or batch. */
export const arbitraryBodies: fc.Arbitrary<FuzzRequest> = fc
  .tuple(fc.constantFrom(SINGLE, BATCH), fc.jsonValue({ maxDepth: 6, stringUnit: fc.oneof(loneSurrogate, bidi, fc.string({ minLength: 1, maxLength: 1, unit: 'binary' })) }))
  .map(([path, value]) => post(`arbitrary JSON to ${path}`, path, JSON.stringify(value) ?? 'null', 'rejected'));

/** One field of a valid single message replaced by a hostile value. */
export const hostileFields: fc.Arbitrary<FuzzRequest> = fc.tuple(fc.constantFrom(...FIELDS), hostileValueText).map(([field, text]) => {
  const deep = /^(\[|\{"a":){17}/.test(text);
  // Some hostile values are valid for some fields (a bidi mark in a text): those may be accepted.
  return post(`${field} = ${text.slice(0, 40)}`, SINGLE, withField(field, text), deep ? 'rejected' : 'any', deep ? { field } : {});
});

/** Text with an unpaired surrogate somewhere: always refused, naming text (or reference). */
export const unpairedSurrogates: fc.Arbitrary<FuzzRequest> = fc
  .tuple(fc.constantFrom('text', 'reference'), fc.string({ maxLength: 20 }), loneSurrogate, fc.string({ maxLength: 20 }))
  .filter(([, before, , after]) => !/[\uD800-\uDFFF]$/.test(before) && !/^[\uD800-\uDFFF]/.test(after))
  .map(([field, before, half, after]) => post(`${field} with an unpaired surrogate`, SINGLE, withField(field, JSON.stringify(`${before}${half}${after}`)), 'rejected', { field }));

/** Bodies nested too deep for the API, at the root or inside a batch item. */
export const deepBodies: fc.Arbitrary<FuzzRequest> = fc
  .tuple(fc.integer({ min: MAX_JSON_DEPTH + 1, max: 30_000 }), fc.constantFrom('array' as const, 'object' as const), fc.constantFrom('root', 'batch item', 'batch root'))
  .map(([depth, kind, where]) => {
    // The field named is the path within a message's fields (one level) or a batch's messages[i] (two).
    if (where === 'root') return post(`body ${depth} deep`, SINGLE, nested(depth, kind), 'rejected', { field: kind === 'array' ? '(body)' : 'a' });
    if (where === 'batch root') return post(`batch ${depth} deep`, BATCH, nested(depth, kind), 'rejected', { field: kind === 'array' ? '(body)' : 'a.a' });
    return post(`batch item ${depth} deep`, BATCH, `{"messages":[${JSON.stringify(VALID)},${nested(depth, kind)}]}`, 'rejected', { field: 'messages[1]' });
  });

/** Raw texts: duplicate keys (the last one counts), truncated or broken JSON, padding. */
export const rawBodies: fc.Arbitrary<FuzzRequest> = fc.oneof(
  fc.constantFrom(
    post('duplicate keys', SINGLE, '{"to":"+447400123456","text":"a","text":"b"}', 'any'),
    post('duplicate keys, the last invalid', SINGLE, '{"to":"+447400123456","to":"07400123456","text":"a"}', 'rejected', { field: 'to' }),
    post('duplicate messages', BATCH, `{"messages":[],"messages":[${JSON.stringify(VALID)}]}`, 'any'),
    post('a BOM before the JSON', SINGLE, `\ufeff${JSON.stringify(VALID)}`, 'rejected'),
    post('JSON then garbage', SINGLE, `${JSON.stringify(VALID)}x`, 'rejected'),
    post('two documents', SINGLE, `${JSON.stringify(VALID)}${JSON.stringify(VALID)}`, 'rejected'),
    post('null body', SINGLE, null, 'rejected'),
    post('a lone surrogate escape in a key', SINGLE, '{"to":"+447400123456","text":"a","\\ud800":1}', 'rejected'),
    post('__proto__', SINGLE, '{"to":"+447400123456","text":"a","__proto__":{"type":"promotional"}}', 'rejected', { field: '__proto__' }),
    post('constructor in a batch', BATCH, `{"messages":[${JSON.stringify(VALID)}],"constructor":{}}`, 'rejected', { field: 'constructor' }),
  ),
  fc.string({ unit: 'binary', maxLength: 200 }).map((s) => post('random text', SINGLE, s, 'rejected')),
  fc.integer({ min: 1, max: JSON.stringify(VALID).length - 1 }).map((n) => post(`truncated after ${n} characters`, SINGLE, JSON.stringify(VALID).slice(0, n), 'rejected')),
);

/** A body of exactly `bytes` UTF-8 bytes: a valid message padded with spaces (JSON allows them). */
function paddedTo(bytes: number, json: string): string {
  return json.slice(0, -1) + ' '.repeat(Math.max(0, bytes - Buffer.byteLength(json))) + json.slice(-1);
}

/** Bodies one byte under, at and over each limit. */
export const sizeLimits: fc.Arbitrary<FuzzRequest> = fc.constantFrom(-1, 0, 1).chain((delta) =>
  fc.constantFrom(
    post(`single body of the limit ${delta >= 0 ? '+' : ''}${delta} bytes`, SINGLE, paddedTo(MAX_SINGLE_BODY_BYTES + delta, JSON.stringify(VALID)), delta > 0 ? 'rejected' : 'any'),
    post(`batch body of the limit ${delta >= 0 ? '+' : ''}${delta} bytes`, BATCH, paddedTo(MAX_BATCH_BODY_BYTES + delta, JSON.stringify({ messages: [VALID] })), delta > 0 ? 'rejected' : 'any'),
  ),
);

/** Media types and charsets: only application/json in UTF-8 (or with no charset) is read. */
export const contentTypes: fc.Arbitrary<FuzzRequest> = fc
  .oneof(
    fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonp', 'application/json-patch+json', 'application/xml', '*/*', '', ' '),
    fc.constantFrom('utf-16', 'utf-16le', 'iso-8859-1', 'latin1', 'us-ascii', 'utf-32', '', 'utf-8x').map((c) => `application/json; charset=${c}`),
    fc.string({ unit: 'grapheme-ascii', maxLength: 30 }).filter((t) => !/^\s*application\/json\s*(;|$)/i.test(t)),
  )
  .chain((contentType) => fc.constantFrom(SINGLE, BATCH).map((path) => post(`Content-Type ${JSON.stringify(contentType)}`, path, path === SINGLE ? JSON.stringify(VALID) : JSON.stringify({ messages: [VALID] }), 'rejected', { contentType, field: 'Content-Type' })));

/** A batch: up to a few more items than allowed, each valid or hostile, sometimes with extra top-level keys. */
export const batches: fc.Arbitrary<FuzzRequest> = fc
  .tuple(
    fc.array(fc.oneof(fc.constant(JSON.stringify(VALID)), hostileFields.map((r) => r.body!), fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v))), { maxLength: 104 }),
    fc.option(fc.string({ minLength: 1, maxLength: 8 }).filter((k) => k !== 'messages')),
  )
  .map(([items, extraKey]) => {
    const body = `{"messages":[${items.join(',')}]${extraKey === null ? '' : `,${JSON.stringify(extraKey)}:1`}}`;
    return post(`batch of ${items.length}${extraKey === null ? '' : ` with ${JSON.stringify(extraKey)}`}`, BATCH, body, extraKey === null && items.length > 0 ? 'any' : 'rejected');
  });

/** dryRun values other than true/false/1/0 are refused rather than sending. */
export const dryRunValues: fc.Arbitrary<FuzzRequest> = fc
  .tuple(fc.constantFrom(SINGLE, BATCH), fc.oneof(fc.constantFrom('true', 'false', '1', '0', 'TRUE', 'yes', '', ' true', 'null'), fc.string({ maxLength: 10 })))
  .map(([path, dryRun]) => {
    const valid = ['true', 'false', '1', '0'].includes(dryRun);
    return post(`dryRun=${JSON.stringify(dryRun)}`, path, path === SINGLE ? JSON.stringify(VALID) : JSON.stringify({ messages: [VALID] }), valid ? 'any' : 'rejected', valid ? { query: { dryRun } } : { query: { dryRun }, field: 'dryRun' });
  });

/** Ids of every shape for GET and DELETE: never a 5xx, never another tenant's message. */
export const messageIds: fc.Arbitrary<FuzzRequest> = fc
  .tuple(fc.constantFrom('GET', 'DELETE'), fc.oneof(fc.uuid(), fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }), fc.constantFrom('%', '%E0%A4%A', '%ED%A0%80', '..', '%2F', 'a'.repeat(2000))))
  .map(([method, id]) => {
    const segment = /^%|^\.\.$/.test(id) ? id : encodeURIComponent(id);
    return fuzzRequest({ name: `${method} /v1/messages/${segment.slice(0, 40)}`, method, path: `${SINGLE}/${segment}`, query: {}, body: null, expect: 'rejected' });
  });

/** `{number}`s that are not E.164 mobile numbers, for GET, PUT and DELETE /v1/opt-outs/{number}: a 4xx naming `number`. */
export const optOutNumbers: fc.Arbitrary<FuzzRequest> = fc
  .tuple(
    fc.constantFrom('GET', 'PUT', 'DELETE'),
    fc.oneof(fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }), fc.constantFrom('%', '%E0%A4%A', '%2B', '+0123456789', '+44 7400 123456', '07400123456', '+442071234567', '+4474001234567890', '..')),
  )
  .filter(([, n]) => !/^\+[1-9][0-9]{6,14}$/.test(n) || n === '+442071234567' || n === '+0123456789')
  .map(([method, number]) => {
    const segment = /^%|^\.\.$/.test(number) ? number : encodeURIComponent(number);
    return fuzzRequest({ name: `${method} /v1/opt-outs/${segment.slice(0, 40)}`, method, path: `/v1/opt-outs/${segment}`, query: {}, body: null, expect: 'rejected', ...(segment === '..' ? {} : { field: 'number' }) });
  });

/** `limit` and `cursor` of GET /v1/opt-outs that it did not make: a 400 naming the field. */
export const optOutPages: fc.Arbitrary<FuzzRequest> = fc
  .oneof(
    fc.string({ maxLength: 8 }).filter((l) => !/^[0-9]{1,3}$/.test(l) || Number(l) < 1 || Number(l) > 100).map((limit) => ({ field: 'limit', query: { limit } })),
    fc.string({ unit: 'binary', maxLength: 60 }).map((cursor) => ({ field: 'cursor', query: { cursor } })),
  )
  .map(({ field, query }) => fuzzRequest({ name: `GET /v1/opt-outs ${field}`, method: 'GET', path: '/v1/opt-outs', query, body: null, expect: 'rejected', field }));

/** Every kind above, with how many cases an in-process run draws of it. */
export const BAD_REQUEST_KINDS: readonly { name: string; arbitrary: fc.Arbitrary<FuzzRequest>; runs: number }[] = [
  { name: 'arbitrary JSON values as bodies', arbitrary: arbitraryBodies, runs: 300 },
  { name: 'one field of a message replaced by a hostile value', arbitrary: hostileFields, runs: 400 },
  { name: 'unpaired surrogates in text and reference', arbitrary: unpairedSurrogates, runs: 100 },
  { name: 'bodies nested too deep, at the root and in batch items', arbitrary: deepBodies, runs: 60 },
  { name: 'raw bodies: duplicate keys, broken and random JSON', arbitrary: rawBodies, runs: 150 },
  { name: 'bodies just under, at and over the size limits', arbitrary: sizeLimits, runs: 12 },
  { name: 'wrong content types and charsets', arbitrary: contentTypes, runs: 100 },
  { name: 'batches of valid, hostile and too many messages', arbitrary: batches, runs: 60 },
  { name: 'dryRun values', arbitrary: dryRunValues, runs: 60 },
  { name: 'ids of every shape for GET and DELETE', arbitrary: messageIds, runs: 150 },
  { name: 'opt-out numbers that are not E.164 mobile numbers', arbitrary: optOutNumbers, runs: 100 },
  { name: 'opt-out list limits and cursors the API did not make', arbitrary: optOutPages, runs: 60 },
];

/** Every kind, mixed. */
export const badRequests: fc.Arbitrary<FuzzRequest> = fc.oneof(...BAD_REQUEST_KINDS.map((k) => k.arbitrary));

/** The messages an answer says were accepted (and so must be stored): 0 for anything but a 202. */
export function acceptedBy(req: FuzzRequest, res: { status: number; body: string }): number {
  if (res.status !== 202) return 0;
  if (!req.path.endsWith('/batch')) return 1;
  return (JSON.parse(res.body) as { accepted?: number }).accepted ?? -1;
}

/** What is wrong with an answer to `req`, given how many messages it stored; empty when nothing is. */
export function answerProblems(req: FuzzRequest, res: { status: number; contentType: string | undefined; body: string }, stored: number): string[] {
  const wrong: string[] = [];
  if (res.status >= 500) return [`answered ${res.status}: ${res.body.slice(0, 300)}`];
  if (res.status < 400) {
    if (req.expect === 'rejected') wrong.push(`accepted (${res.status}) a request that must be refused`);
    const accepted = acceptedBy(req, res);
    if (stored !== accepted) wrong.push(`stored ${stored} messages for ${accepted} accepted`);
    return wrong;
  }
  if (stored !== 0) wrong.push(`stored ${stored} messages although refused with ${res.status}`);
  if (res.contentType !== 'application/problem+json') wrong.push(`content-type ${res.contentType}, not application/problem+json`);
  let problem: { type?: unknown; status?: unknown; title?: unknown; errors?: { field?: unknown; problem?: unknown }[] };
  try {
    problem = JSON.parse(res.body);
  } catch {
    return [...wrong, `the problem body is not JSON: ${res.body.slice(0, 200)}`];
  }
  const name = typeof problem.type === 'string' ? problemTypeName(problem.type) : undefined;
  if (!name) return [...wrong, `type ${JSON.stringify(problem.type)} is not a problem type of the API`];
  if (problem.status !== res.status) wrong.push(`status ${String(problem.status)} in the body, ${res.status} on the wire`);
  if (!(PROBLEM_TYPES[name].statuses as readonly number[]).includes(res.status)) wrong.push(`${name} answered with ${res.status}`);
  if (problem.title !== PROBLEM_TYPES[name].title) wrong.push(`title ${JSON.stringify(problem.title)}`);
  const fields = (problem.errors ?? []).map((e) => e.field);
  if (['validation-failed', 'unsupported-media-type', 'idempotency-key-reused'].includes(name)) {
    if (fields.length === 0 || fields.some((f) => typeof f !== 'string' || f === '')) wrong.push(`${name} names no field: ${res.body.slice(0, 200)}`);
  }
  if (req.field !== undefined && !fields.some((f) => typeof f === 'string' && f.split(', ').includes(req.field!))) {
    wrong.push(`does not name ${req.field} (names ${JSON.stringify(fields)})`);
  }
  return wrong;
}

