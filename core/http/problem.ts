/**
 * RFC 9457 problem details: every error the API returns has this shape, with
 * the failing fields in `errors`.
 *
 * Each problem type is identified by a URI of the gateway itself,
 * `<API URL>/problems/<name>` (e.g. https://abc123.execute-api.eu-west-1.amazonaws.com/live/problems/rate-limited),
 * which the API answers (GET, no key) with the description below: an address
 * the deployment controls, that a developer can open, and whose last segment is
 * the stable name to match on. README#problem-types lists them; openapi.yaml too.
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import type { FieldProblem } from '../domain/submission';

export interface ProblemTypeDoc {
  /** The problem's title: the same for every occurrence. */
  title: string;
  /** The HTTP statuses it comes with. */
  statuses: readonly number[];
  /** What it means and what to do about it. */
  description: string;
}

/** Every problem type the gateway answers with: the one list README, openapi.yaml and the served pages follow. */
export const PROBLEM_TYPES = {
  'invalid-json': {
    title: 'The request body is not valid JSON',
    statuses: [400],
    description: 'The body is empty or not JSON (RFC 8259). Send one JSON document in UTF-8.',
  },
  'validation-failed': {
    title: 'The request is not valid',
    statuses: [400, 422],
    description:
      'A field is missing, unknown, of the wrong type, out of its limits, or nests deeper than the API reads. `errors` names each field at fault (e.g. `to`, `messages[3].text`, `Idempotency-Key`, `dryRun`) and what is wrong with it. Correct the fields and send again; nothing was stored.',
  },
  'unsupported-media-type': {
    title: 'The request body must be application/json',
    statuses: [415],
    description: 'The Content-Type header is missing, is not application/json, or names a charset other than UTF-8. Send `Content-Type: application/json`.',
  },
  'payload-too-large': {
    title: 'The request body is too large',
    statuses: [413],
    description: 'The body is over the size limit of its resource (`limit`, in bytes): 16 KB for one message, 1 MB for a batch. Nothing was stored.',
  },
  unauthorized: {
    title: 'A valid API key is required',
    statuses: [401],
    description: 'The x-api-key header is missing or holds no key of a tenant.',
  },
  'not-found': {
    title: 'Not found',
    statuses: [404],
    description: 'No resource at this path, or no message with this id for your tenant (another tenant’s message looks the same as a missing one).',
  },
  'method-not-allowed': {
    title: 'Method not allowed',
    statuses: [405],
    description: 'The path exists, but not with this method; `allow` and the Allow header name the methods it takes.',
  },
  'idempotency-key-reused': {
    title: 'The Idempotency-Key was used with a different request',
    statuses: [422],
    description: 'This Idempotency-Key was used before with another body. A replay must send the same body; a new request needs a new key.',
  },
  conflict: {
    title: 'The request conflicts with the resource state',
    statuses: [409],
    description: 'The message can no longer be canceled: it was submitted to the carrier already (`messageStatus` says where it is).',
  },
  'rate-limited': {
    title: 'Too many requests',
    statuses: [429],
    description: 'Your tenant used its requests for this second (`limit`), or the API as a whole is over its rate. Retry after the Retry-After header’s seconds; nothing of the refused request was stored. Batches send up to 100 messages in one request.',
  },
  'sender-not-allowed': {
    title: 'The sender id is not one of the tenant’s',
    statuses: [422],
    description: 'Your tenant lists the sender ids and numbers it may send from (`tenants[].senders` and `tenants[].numbers`), and `from` is none of them. Send from one of those, or leave `from` out to use the tenant’s default sender. Nothing was stored.',
  },
  'destination-not-allowed': {
    title: 'The destination is not allowed',
    statuses: [422],
    description: 'The destination’s country is outside your tenant’s countries (`tenants[].countries`), or the number is of a type the gateway does not send to (premium-rate, shared-cost, toll-free, VoIP-only or of unknown type). `errors` names the field (`to`, or `messages[i].to` in a batch). Nothing was stored.',
  },
  'suspected-pumping': {
    title: 'Too many messages to this destination range',
    statuses: [429],
    description: 'Your tenant sent as many messages this hour to the destination’s country (`tenants[].pumping.perCountryPerHour`) or to its number range (`perPrefixPerHour`: the number without its last 3 digits) as it may: a pattern of SMS pumping (traffic inflated through sign-up or OTP forms). Retry after the Retry-After header’s seconds, when the hour ends. Nothing was stored.',
  },
  'quota-exceeded': {
    title: 'The tenant’s quota is used up',
    statuses: [429],
    description: 'Accepting the message would take your tenant past one of its caps (`tenants[].quota`: segments per day or month, spend per month). `quota` names the cap, `limit` and `used` give it, and `resetsAt` (with the Retry-After header) says when it starts again. Nothing was stored.',
  },
  'service-unavailable': {
    title: 'The service is temporarily unavailable',
    statuses: [503],
    description: 'A dependency failed (the message table, or reaching the function). Retry the request with the same Idempotency-Key: a message is stored at most once.',
  },
} as const satisfies Record<string, ProblemTypeDoc>;

export type ProblemType = keyof typeof PROBLEM_TYPES;

export const PROBLEM_TYPE_NAMES = Object.keys(PROBLEM_TYPES) as ProblemType[];

export function isProblemType(name: string): name is ProblemType {
  return Object.hasOwn(PROBLEM_TYPES, name);
}

/** The path, below the API URL, of a problem type's page. */
export const PROBLEMS_PATH = '/problems';

/** `<apiUrl>/problems/<name>`: the type URI of a problem. */
export function problemTypeUri(apiUrl: string, type: ProblemType): string {
  return `${apiUrl.replace(/\/+$/, '')}${PROBLEMS_PATH}/${type}`;
}

/** The name of a problem type from its URI, or undefined for a URI that is not one of ours. */
export function problemTypeName(uri: string): ProblemType | undefined {
  const name = /\/problems\/([a-z-]+)$/.exec(uri)?.[1];
  return name !== undefined && isProblemType(name) ? name : undefined;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldProblem[];
  [extra: string]: unknown;
}

/** The problem document of one occurrence. */
export function problemBody(apiUrl: string, status: number, type: ProblemType, detail: string, extra: Record<string, unknown> = {}): Problem {
  return { type: problemTypeUri(apiUrl, type), title: PROBLEM_TYPES[type].title, status, detail, ...extra };
}

/** Builds problem+json responses whose type URIs are those of the API at `apiUrl`. */
export type ProblemResponder = (status: number, type: ProblemType, detail: string, extra?: Record<string, unknown>, headers?: Record<string, string>) => APIGatewayProxyResult;

export function problemResponder(apiUrl: string): ProblemResponder {
  return (status, type, detail, extra = {}, headers = {}) => ({
    statusCode: status,
    headers: { 'content-type': 'application/problem+json', ...headers },
    body: JSON.stringify(problemBody(apiUrl, status, type, detail, extra)),
  });
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return { statusCode: status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}
