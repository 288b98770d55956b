/**
 * PartiQL writes for BatchExecuteStatement: up to 25 statements in one request,
 * each with its own condition and its own outcome, at the write cost of one
 * UpdateItem or PutItem each. Used where the worker coalesces writes (a
 * SUBMITTED change and its SMSC-id mappings; a receipt's final change).
 *
 * A status change is rendered from the same TransitionPlan as MessageStore's
 * UpdateItem (core/domain/transition.ts). The history entry goes in at its index,
 * `history[n]`, under the condition `size(history) = n`: an exact append that
 * needs no list_append (which MiniStack's PartiQL lacks), known from the record
 * the worker read before submitting.
 */
import { BatchExecuteStatementCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { TransitionPlan } from '../domain/transition';
import type { TableKey } from './table-keys';

export const MAX_BATCH_STATEMENTS = 25;

export interface Statement {
  Statement: string;
  Parameters: unknown[];
}

/** How one statement of a batch ended. */
export type StatementOutcome =
  | { ok: true }
  /** The WHERE clause did not hold; `item` is the item as it was (ReturnValuesOnConditionCheckFailure ALL_OLD). */
  | { ok: false; conditionFailed: true; item: Record<string, unknown> | undefined }
  /** INSERT of a key that exists. */
  | { ok: false; duplicate: true }
  | { ok: false; error: Error };

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** UPDATE of a message record by a plan, appending its history entry at index `historyLength`. */
export function transitionStatement(tableName: string, key: TableKey, plan: TransitionPlan, historyLength: number): Statement {
  if (!Number.isInteger(historyLength) || historyLength < 0) throw new RangeError(`historyLength must be a whole number >= 0, got ${historyLength}`);
  const params: unknown[] = [];
  const clauses = [`SET ${quote('history')}[${historyLength}] = ?`];
  params.push(plan.change);
  for (const [name, value] of Object.entries(plan.set)) {
    clauses.push(`SET ${quote(name)} = ?`);
    params.push(value);
  }
  for (const name of plan.remove) clauses.push(`REMOVE ${quote(name)}`);
  const where = [`${quote('pk')} = ?`, `${quote('sk')} = ?`];
  params.push(key.pk, key.sk);
  where.push(plan.from.length === 1 ? `${quote('status')} = ?` : `${quote('status')} IN [${plan.from.map(() => '?').join(', ')}]`);
  params.push(...plan.from);
  if (plan.expectedAttempt !== undefined) {
    where.push(`${quote('attempt')} = ?`);
    params.push(plan.expectedAttempt);
  }
  where.push(`size(${quote('history')}) = ?`);
  params.push(historyLength);
  return { Statement: `UPDATE ${quote(tableName)} ${clauses.join(' ')} WHERE ${where.join(' AND ')}`, Parameters: params };
}

/** INSERT of a new item; a duplicate key is the outcome `duplicate`, not an error. */
export function insertStatement(tableName: string, item: Record<string, unknown>): Statement {
  const entries = Object.entries(item).filter(([, v]) => v !== undefined);
  return {
    Statement: `INSERT INTO ${quote(tableName)} VALUE {${entries.map(([k]) => `'${k.replace(/'/g, "''")}': ?`).join(', ')}}`,
    Parameters: entries.map(([, v]) => v),
  };
}

/** Per-statement error codes worth another try (BatchStatementError.Code). */
const RETRYABLE = new Set(['ProvisionedThroughputExceeded', 'ThrottlingError', 'RequestLimitExceeded', 'InternalServerError', 'TransactionConflict']);

export interface RunOptions {
  /** Tries of a statement whose error is retryable (the request's own retries are the SDK's). @default 3 */
  tries?: number;
  /** Backoff before a retry, doubled each time. @default 25 */
  backoffMs?: number;
}

/**
 * Runs up to any number of statements, 25 to a request, and says how each ended.
 * A statement that failed for a retryable reason (throttled, internal error) is
 * sent again on its own batch with a backoff; the others keep their outcome.
 */
export async function runStatements(client: Pick<DynamoDBDocumentClient, 'send'>, statements: Statement[], options: RunOptions = {}): Promise<StatementOutcome[]> {
  const tries = options.tries ?? 3;
  const outcomes: StatementOutcome[] = new Array(statements.length);
  let todo = statements.map((_, i) => i);
  for (let attempt = 1; todo.length > 0; attempt++) {
    const retry: number[] = [];
    for (let i = 0; i < todo.length; i += MAX_BATCH_STATEMENTS) {
      const chunk = todo.slice(i, i + MAX_BATCH_STATEMENTS);
      const out = await client.send(new BatchExecuteStatementCommand({ Statements: chunk.map((n) => ({ ...statements[n]!, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' })) }));
      const responses = out.Responses ?? [];
      chunk.forEach((n, j) => {
        const response = responses[j];
        const error = response?.Error;
        // DynamoDB answers every statement; a missing answer is not taken for success.
        if (!response) outcomes[n] = { ok: false, error: new Error(`BatchExecuteStatement answered ${responses.length} of ${chunk.length} statements`) };
        else if (!error) outcomes[n] = { ok: true };
        else if (error.Code === 'ConditionalCheckFailed') outcomes[n] = { ok: false, conditionFailed: true, item: error.Item as Record<string, unknown> | undefined };
        else if (error.Code === 'DuplicateItem') outcomes[n] = { ok: false, duplicate: true };
        else if (RETRYABLE.has(error.Code ?? '') && attempt < tries) retry.push(n);
        else outcomes[n] = { ok: false, error: Object.assign(new Error(`${error.Code ?? 'unknown'}: ${error.Message ?? ''}`), { name: error.Code ?? 'BatchStatementError' }) };
      });
    }
    todo = retry;
    if (todo.length > 0) await new Promise((r) => setTimeout(r, (options.backoffMs ?? 25) * 2 ** (attempt - 1)));
  }
  return outcomes;
}
