/**
 * RFC 9457 problem details: every error the API returns has this shape, with
 * the failing fields in `errors`.
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import type { FieldProblem } from '../domain/submission';

export type ProblemType =
  | 'invalid-json'
  | 'validation-failed'
  | 'unsupported-media-type'
  | 'payload-too-large'
  | 'unauthorized'
  | 'not-found'
  | 'method-not-allowed'
  | 'idempotency-key-reused'
  | 'conflict'
  | 'rate-limited'
  | 'service-unavailable';

const TITLES: Record<ProblemType, string> = {
  'invalid-json': 'The request body is not valid JSON',
  'validation-failed': 'The request is not valid',
  'unsupported-media-type': 'The request body must be application/json',
  'payload-too-large': 'The request body is too large',
  unauthorized: 'A valid API key is required',
  'not-found': 'Not found',
  'method-not-allowed': 'Method not allowed',
  'idempotency-key-reused': 'The Idempotency-Key was used with a different request',
  conflict: 'The request conflicts with the resource state',
  'rate-limited': 'Too many requests',
  'service-unavailable': 'The service is temporarily unavailable',
};

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldProblem[];
  [extra: string]: unknown;
}

export const PROBLEM_BASE = 'https://github.com/sms-gateway/problems/';

export function problem(status: number, type: ProblemType, detail: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): APIGatewayProxyResult {
  const body: Problem = { type: `${PROBLEM_BASE}${type}`, title: TITLES[type], status, detail, ...extra };
  return {
    statusCode: status,
    headers: { 'content-type': 'application/problem+json', ...headers },
    body: JSON.stringify(body),
  };
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return { statusCode: status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}
