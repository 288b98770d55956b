/**
 * Errors of the Twilio-compatible API, shaped as Twilio's: `{ code, message, more_info, status }`
 * with Twilio's own code for the same problem, so that the SDKs raise their RestException with the
 * code their callers already handle. Our /v1 problems (core/http/problem.ts) are translated here:
 * the problem type and the field it names pick the code.
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import type { FieldProblem } from '../domain/submission';

export interface TwilioErrorBody {
  code: number;
  message: string;
  more_info: string;
  status: number;
}

/** The codes this API answers with (README#twilio-compatible-api lists them). */
export const TwilioCode = {
  authenticate: 20003,
  methodNotAllowed: 20004,
  notFound: 20404,
  invalidParameter: 20422,
  tooManyRequests: 20429,
  serviceUnavailable: 20503,
  invalidTo: 21211,
  invalidFrom: 21212,
  regionNotAllowed: 21408,
  bodyRequired: 21602,
  fromRequired: 21603,
  toRequired: 21604,
  fromNotAllowed: 21606,
  invalidStatusCallback: 21609,
  optedOut: 21610,
  bodyTooLong: 21617,
  mediaNotSupported: 21620,
  invalidValidityPeriod: 90007,
  cannotCancel: 30409,
} as const;

export function moreInfo(code: number): string {
  return `https://www.twilio.com/docs/errors/${code}`;
}

export function twilioError(status: number, code: number, message: string, headers: Record<string, string> = {}): APIGatewayProxyResult {
  const body: TwilioErrorBody = { code, message, more_info: moreInfo(code), status };
  return { statusCode: status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

/** 401 20003 with the challenge, for missing, malformed or wrong credentials alike. */
export function authenticateError(): APIGatewayProxyResult {
  return twilioError(401, TwilioCode.authenticate, 'Authenticate', { 'www-authenticate': 'Basic realm="Twilio API"' });
}

/** The code of a refused submission field (our field names: to, from, text, callbackUrl, validitySeconds). */
function codeOfField(p: FieldProblem): number {
  const missing = p.problem === 'is required' || /must not be empty/.test(p.problem);
  switch (p.field) {
    case 'to':
      return missing ? TwilioCode.toRequired : TwilioCode.invalidTo;
    case 'from':
      return missing ? TwilioCode.fromRequired : TwilioCode.invalidFrom;
    case 'text':
      return missing ? TwilioCode.bodyRequired : TwilioCode.bodyTooLong;
    case 'callbackUrl':
      return TwilioCode.invalidStatusCallback;
    case 'validitySeconds':
      return TwilioCode.invalidValidityPeriod;
    default:
      return TwilioCode.invalidParameter;
  }
}

/** Our field names as the Twilio parameters that fill them (core/twilio/create-params.ts). */
const PARAMETER_OF: Readonly<Record<string, string>> = {
  to: 'To',
  from: 'From',
  text: 'Body',
  callbackUrl: 'StatusCallback',
  validitySeconds: 'ValidityPeriod',
  sendAt: 'SendAt',
  'Idempotency-Key': 'I-Twilio-Idempotency-Token',
};

function parameterOf(field: string): string {
  return PARAMETER_OF[field] ?? field;
}

interface ProblemDocument {
  type?: unknown;
  status?: unknown;
  detail?: unknown;
  errors?: { field: string; problem: string }[];
}

/**
 * A /v1 problem response as the Twilio error for the same problem. The Retry-After of a 429 is kept.
 *
 * @example fromProblem(problem(422, 'validation-failed', …, { errors: [{ field: 'to', problem: 'destination is not a phone number' }] }))
 *   // → 400 { code: 21211, message: 'To: destination is not a phone number', … }
 */
export function fromProblem(response: APIGatewayProxyResult): APIGatewayProxyResult {
  let doc: ProblemDocument = {};
  try {
    doc = JSON.parse(response.body) as ProblemDocument;
  } catch {
    // not a problem document: answered by its status below
  }
  const type = typeof doc.type === 'string' ? (/\/problems\/([a-z-]+)$/.exec(doc.type)?.[1] ?? '') : '';
  const first = Array.isArray(doc.errors) ? doc.errors[0] : undefined;
  const message = first ? `${parameterOf(first.field)}: ${first.problem}` : typeof doc.detail === 'string' ? doc.detail : 'the request could not be completed';
  const retryAfter = Object.entries(response.headers ?? {}).find(([k]) => k.toLowerCase() === 'retry-after')?.[1];
  const retry: Record<string, string> = retryAfter !== undefined ? { 'retry-after': String(retryAfter) } : {};
  switch (type) {
    case 'validation-failed':
    case 'idempotency-key-reused':
      return twilioError(400, first ? codeOfField(first) : TwilioCode.invalidParameter, message);
    case 'sender-not-allowed':
      return twilioError(400, TwilioCode.fromNotAllowed, message);
    case 'destination-not-allowed':
      return twilioError(400, TwilioCode.regionNotAllowed, message);
    case 'rate-limited':
    case 'suspected-pumping':
    case 'quota-exceeded':
      return twilioError(429, TwilioCode.tooManyRequests, message, retry);
    case 'not-found':
      return twilioError(404, TwilioCode.notFound, message);
    case 'unauthorized':
      return authenticateError();
    default:
      return response.statusCode >= 500 ? twilioError(503, TwilioCode.serviceUnavailable, message, retry) : twilioError(400, TwilioCode.invalidParameter, message);
  }
}
