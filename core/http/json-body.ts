/**
 * Reading a JSON request body: media type and charset, size, emptiness, syntax
 * and nesting depth, in that order. Pure: it returns the value, or the problem
 * that the caller answers with (each naming the field at fault).
 *
 * The depth limit protects everything that walks the value afterwards
 * (validation, the canonical JSON behind idempotency hashes, the DynamoDB
 * marshaller): they recurse, and a body of 40 KB can nest 20,000 levels deep,
 * deep enough to overflow the stack — an input that must be a 4xx, not a crash.
 */
import type { FieldProblem } from '../domain/submission';
import type { ProblemType } from './problem';

/** Deepest nesting the API reads: its documents need 3 (batch → messages → message), the rest is headroom. */
export const MAX_JSON_DEPTH = 16;

export interface BodyProblem {
  status: number;
  type: ProblemType;
  detail: string;
  extra: { errors?: FieldProblem[]; limit?: number };
}

export type JsonBody = { ok: true; value: unknown } | { ok: false; problem: BodyProblem };

/**
 * The media type must be application/json; a charset, when given, must be
 * UTF-8 (RFC 8259 §8.1: JSON exchanged between systems is UTF-8).
 */
export function contentTypeProblem(contentType: string | undefined): string | undefined {
  if (contentType === undefined || contentType.trim() === '') return 'is missing; send application/json';
  const [mediaType, ...params] = contentType.split(';').map((p) => p.trim());
  if (mediaType!.toLowerCase() !== 'application/json') return `must be application/json, got ${JSON.stringify(contentType)}`;
  for (const param of params) {
    const [name, value = ''] = param.split('=').map((p) => p.trim());
    if (name!.toLowerCase() !== 'charset') continue;
    const charset = value.replace(/^"(.*)"$/, '$1').toLowerCase();
    if (charset !== 'utf-8' && charset !== 'utf8') return `must name the charset UTF-8 or none, got ${JSON.stringify(value)}`;
  }
  return undefined;
}

/**
 * Where a value nests deeper than `max` arrays and objects: the path of the field
 * holding it, kept to the body's first `fieldLevels` levels (1: a message's fields;
 * 2: a batch's `messages[i]`), or "(body)" when the body itself is the array.
 * Undefined when nothing is that deep. Iterative, so any depth is safe to walk.
 */
export function tooDeepAt(value: unknown, max: number, fieldLevels: number): string | undefined {
  // An array body has no fields to name: the body is at fault as a whole.
  const levels = Array.isArray(value) ? 0 : fieldLevels;
  const stack: { value: unknown; depth: number; path: string }[] = [{ value, depth: 0, path: '' }];
  while (stack.length > 0) {
    const { value: v, depth, path } = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth >= max) return path || '(body)';
    const keep = depth < levels;
    const children: [string, unknown][] = Array.isArray(v) ? v.map((item, i) => [`[${i}]`, item]) : Object.entries(v).map(([k, item]) => [path ? `.${k}` : k, item]);
    for (const [step, item] of children) stack.push({ value: item, depth: depth + 1, path: keep ? `${path}${step}` : path });
  }
  return undefined;
}

export interface BodyLimits {
  maxBytes: number;
  /** How many levels of the body are fields, for naming the one that nests too deep (see tooDeepAt). */
  fieldLevels: number;
}

export function readJsonBody(contentType: string | undefined, body: string | null, { maxBytes, fieldLevels }: BodyLimits): JsonBody {
  const fail = (status: number, type: ProblemType, detail: string, extra: BodyProblem['extra'] = {}): JsonBody => ({ ok: false, problem: { status, type, detail, extra } });
  const typeProblem = contentTypeProblem(contentType);
  if (typeProblem) return fail(415, 'unsupported-media-type', `Content-Type ${typeProblem}`, { errors: [{ field: 'Content-Type', problem: typeProblem }] });
  // From here the body as a whole is at fault (the detail says how), until its depth names a field.
  const text = body ?? '';
  const size = Buffer.byteLength(text, 'utf8');
  if (size > maxBytes) return fail(413, 'payload-too-large', `the body is ${size} bytes; the limit for this resource is ${maxBytes} bytes`, { limit: maxBytes });
  if (text.trim() === '') return fail(400, 'invalid-json', 'the request body is empty');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return fail(400, 'invalid-json', `the request body is not valid JSON: ${(err as Error).message}`);
  }
  const deep = tooDeepAt(value, MAX_JSON_DEPTH, fieldLevels);
  if (deep !== undefined) {
    const problem = `nests deeper than ${MAX_JSON_DEPTH} levels of arrays and objects`;
    return fail(422, 'validation-failed', `${deep}: ${problem}`, { errors: [{ field: deep, problem }] });
  }
  return { ok: true, value };
}
