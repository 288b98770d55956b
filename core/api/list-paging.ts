/**
 * The paging rules every list endpoint shares (GET /v1/messages, /v1/opt-outs): `limit` from 1
 * to MAX_LIST_LIMIT, DEFAULT_LIST_LIMIT when absent, and the next page's opaque `nextCursor`.
 */
import type { FieldProblem } from '../domain/submission';

export const DEFAULT_LIST_LIMIT = 50;
export const MAX_LIST_LIMIT = 100;

/** `limit` of a query string: the number, or the problem with it. */
export function parseLimit(raw: string | undefined): { limit: number } | { problem: FieldProblem } {
  if (raw === undefined) return { limit: DEFAULT_LIST_LIMIT };
  const limit = /^[0-9]{1,3}$/.test(raw) ? Number(raw) : NaN;
  return limit >= 1 && limit <= MAX_LIST_LIMIT ? { limit } : { problem: { field: 'limit', problem: `must be a whole number from 1 to ${MAX_LIST_LIMIT}` } };
}

/** The problem with a `cursor` that is not one the API returned. */
export const cursorProblem: FieldProblem = { field: 'cursor', problem: 'is not a cursor this API returned; pass nextCursor of the previous page as it is' };
