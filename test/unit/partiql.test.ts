/**
 * PartiQL writes (core/aws/partiql.ts): the statements a TransitionPlan and a new
 * item render to, and how runStatements splits, retries and reports them. The
 * DynamoDB client is a stub that answers each statement as a test says;
 * test/integration/delivery-writes.test.ts runs the same statements on MiniStack.
 */
import { BatchExecuteStatementCommand, type BatchExecuteStatementCommandOutput, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { insertStatement, runStatements, transitionStatement, type Statement, type StatementOutcome } from '../../core/aws/partiql';
import { messageKey } from '../../core/aws/table-keys';
import { PREDECESSORS } from '../../core/domain/message';
import { planTransition } from '../../core/domain/transition';
import { NOW, RETENTION_DAYS } from '../support/factories';

// ---- fixtures ---------------------------------------------------------------------------

type Response = NonNullable<BatchExecuteStatementCommandOutput['Responses']>[number];
type Sent = NonNullable<BatchExecuteStatementCommand['input']['Statements']>[number];

/** How the stub answers one statement of the `request`-th request (1-based). */
type Answer = (statement: Sent, request: number) => Response;

/** A client whose BatchExecuteStatement answers each statement with `answer` and records every request. */
function stubDynamo(answer: Answer = () => ({})) {
  const requests: Sent[][] = [];
  const at: number[] = [];
  const send = async (command: unknown): Promise<Partial<BatchExecuteStatementCommandOutput>> => {
    if (!(command instanceof BatchExecuteStatementCommand)) throw new Error('unexpected command');
    const statements = command.input.Statements ?? [];
    requests.push(statements);
    at.push(Date.now());
    return { Responses: statements.map((s) => answer(s, requests.length)) };
  };
  return { client: { send } as unknown as Pick<DynamoDBDocumentClient, 'send'>, requests, at };
}

/** `n` INSERT statements; statement i inserts MSG#i. */
const numbered = (n: number): Statement[] => Array.from({ length: n }, (_, i) => insertStatement('messages', { pk: `MSG#${i}`, sk: 'MSG' }));

/** Which of `numbered` a sent statement is. */
const indexOf = (s: Sent): number => Number(String(s.Parameters?.[0]).slice('MSG#'.length));

const THROTTLED: Response = { Error: { Code: 'ThrottlingError', Message: 'Throughput exceeds the current capacity of your table or index.' } };
const OK: StatementOutcome = { ok: true };

afterEach(() => {
  vi.useRealTimers();
});

// ---- statements -------------------------------------------------------------------------

describe('transitionStatement', () => {
  it('renders a plan as one UPDATE: the history entry at its index, every set attribute, the key, status, attempt and history-size conditions, parameters in order', () => {
    // Prepare
    const plan = planTransition('SUBMITTED', { expectedAttempt: 1, carrierId: 'c-a', set: { smscIds: ['5f1e'] }, now: NOW }, RETENTION_DAYS);
    // Act
    const statement = transitionStatement('messages', messageKey('m-1'), plan, 2);
    // Assess
    expect(statement.Statement).toBe(
      'UPDATE "messages" SET "history"[2] = ? SET "status" = ? SET "updatedAt" = ? SET "carrierId" = ? SET "smscIds" = ?' +
        ' WHERE "pk" = ? AND "sk" = ? AND "status" = ? AND "attempt" = ? AND size("history") = ?',
    );
    expect(statement.Parameters).toEqual([
      { status: 'SUBMITTED', at: NOW.toISOString(), carrierId: 'c-a' },
      'SUBMITTED',
      NOW.toISOString(),
      'c-a',
      ['5f1e'],
      'MSG#m-1',
      'MSG',
      'ROUTED',
      1,
      2,
    ]);
  });

  it('asks for any of several statuses with an IN list, removes what a final change removes, and has no attempt condition when none is expected', () => {
    // Prepare: FAILED may come from five statuses
    const plan = planTransition('FAILED', { reason: 'ESME_RINVDSTADR', now: NOW }, RETENTION_DAYS);
    // Act
    const statement = transitionStatement('messages', messageKey('m-2'), plan, 0);
    // Assess
    expect(PREDECESSORS.FAILED).toEqual(['ACCEPTED', 'SCHEDULED', 'ROUTED', 'RETRYING', 'SUBMITTED']);
    expect(statement.Statement).toBe(
      'UPDATE "messages" SET "history"[0] = ? SET "status" = ? SET "updatedAt" = ? SET "reason" = ? SET "expiresAt" = ? REMOVE "dueShard" REMOVE "dueAt"' +
        ' WHERE "pk" = ? AND "sk" = ? AND "status" IN [?, ?, ?, ?, ?] AND size("history") = ?',
    );
    expect(statement.Parameters).toEqual([
      plan.change,
      'FAILED',
      NOW.toISOString(),
      'ESME_RINVDSTADR',
      Math.floor(NOW.getTime() / 1000) + RETENTION_DAYS * 86_400,
      'MSG#m-2',
      'MSG',
      'ACCEPTED',
      'SCHEDULED',
      'ROUTED',
      'RETRYING',
      'SUBMITTED',
      0,
    ]);
  });

  it('guards attempt 0 like any other expected attempt', () => {
    const plan = planTransition('ROUTED', { expectedAttempt: 0, attempt: 1, now: NOW }, RETENTION_DAYS);
    const statement = transitionStatement('messages', messageKey('m-3'), plan, 1);
    expect(statement.Statement).toMatch(/ AND "attempt" = \? AND size\("history"\) = \?$/);
    expect(statement.Parameters.slice(-2)).toEqual([0, 1]);
  });

  it('quotes the table and attribute names, doubling a double quote inside one', () => {
    // Prepare
    const plan = planTransition('DELIVERED', { set: { 'we"ird': 1 }, now: NOW }, RETENTION_DAYS);
    // Act
    const statement = transitionStatement('my"table', messageKey('m-4'), plan, 3);
    // Assess
    expect(statement.Statement.startsWith('UPDATE "my""table" SET "history"[3] = ? ')).toBe(true);
    expect(statement.Statement).toContain(' SET "we""ird" = ? ');
  });

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('refuses a history length of %s', (historyLength) => {
    const plan = planTransition('DELIVERED', { now: NOW }, RETENTION_DAYS);
    expect(() => transitionStatement('messages', messageKey('m-5'), plan, historyLength)).toThrow(
      new RangeError(`historyLength must be a whole number >= 0, got ${historyLength}`),
    );
  });
});

describe('insertStatement', () => {
  it('renders an INSERT with one parameter per defined attribute, in order, quoting names with single quotes', () => {
    // Act
    const statement = insertStatement('messages', { pk: 'SMSC#c-a#5f1e', sk: 'SMSC', kind: 'smsc-id', "it's": 'x', messageId: 'm-1', gone: undefined });
    // Assess
    expect(statement).toEqual({
      Statement: `INSERT INTO "messages" VALUE {'pk': ?, 'sk': ?, 'kind': ?, 'it''s': ?, 'messageId': ?}`,
      Parameters: ['SMSC#c-a#5f1e', 'SMSC', 'smsc-id', 'x', 'm-1'],
    });
  });
});

// ---- runStatements ----------------------------------------------------------------------

describe('runStatements', () => {
  it('sends 25 statements in one request, each as rendered and asking for the old item on a failed condition', async () => {
    // Prepare
    const { client, requests } = stubDynamo();
    const statements = numbered(25);
    // Act
    const outcomes = await runStatements(client, statements);
    // Assess
    expect(outcomes).toEqual(Array(25).fill(OK));
    expect(requests).toEqual([statements.map((s) => ({ ...s, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }))]);
  });

  it('fails only the statement whose condition did not hold, with the item as it was', async () => {
    // Prepare
    const current = { pk: 'MSG#7', sk: 'MSG', status: 'DELIVERED', history: [{ status: 'DELIVERED', at: NOW.toISOString() }] };
    const { client, requests } = stubDynamo((s) => (indexOf(s) === 7 ? { Error: { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed', Item: current } } : {}));
    // Act
    const outcomes = await runStatements(client, numbered(25));
    // Assess
    expect(outcomes[7]).toEqual({ ok: false, conditionFailed: true, item: current });
    expect(outcomes.filter((o) => o.ok)).toHaveLength(24);
    expect(requests).toHaveLength(1);
  });

  it('reports a failed condition without an item (a missing record) with item undefined', async () => {
    const { client } = stubDynamo(() => ({ Error: { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed' } }));
    expect(await runStatements(client, numbered(1))).toEqual([{ ok: false, conditionFailed: true, item: undefined }]);
  });

  it('reports an INSERT of an existing key as duplicate, without retrying it', async () => {
    // Prepare
    const { client, requests } = stubDynamo((s) => (indexOf(s) === 1 ? { Error: { Code: 'DuplicateItem', Message: 'Duplicate primary key exists in table' } } : {}));
    // Act
    const outcomes = await runStatements(client, numbered(3), { backoffMs: 0 });
    // Assess
    expect(outcomes).toEqual([OK, { ok: false, duplicate: true }, OK]);
    expect(requests).toHaveLength(1);
  });

  it('sends a throttled statement again on its own; the others keep their outcome', async () => {
    // Prepare: statement 3 is throttled once, statement 5's condition fails
    const { client, requests } = stubDynamo((s, request) => {
      if (indexOf(s) === 3 && request === 1) return THROTTLED;
      if (indexOf(s) === 5) return { Error: { Code: 'ConditionalCheckFailed', Item: { pk: 'MSG#5', sk: 'MSG' } } };
      return {};
    });
    // Act
    const outcomes = await runStatements(client, numbered(25), { backoffMs: 0 });
    // Assess
    expect(requests.map((r) => r.map(indexOf))).toEqual([Array.from({ length: 25 }, (_, i) => i), [3]]);
    expect(outcomes[3]).toEqual(OK);
    expect(outcomes[5]).toEqual({ ok: false, conditionFailed: true, item: { pk: 'MSG#5', sk: 'MSG' } });
    expect(outcomes.filter((o) => o.ok)).toHaveLength(24);
  });

  it('retries each retryable per-statement error (throttling, capacity, internal error, conflict)', async () => {
    // Prepare
    const codes = ['ProvisionedThroughputExceeded', 'ThrottlingError', 'RequestLimitExceeded', 'InternalServerError', 'TransactionConflict'] as const;
    const { client, requests } = stubDynamo((s, request) => (request === 1 ? { Error: { Code: codes[indexOf(s)] } } : {}));
    // Act
    const outcomes = await runStatements(client, numbered(codes.length), { backoffMs: 0 });
    // Assess
    expect(outcomes).toEqual(Array(codes.length).fill(OK));
    expect(requests.map((r) => r.length)).toEqual([5, 5]);
  });

  it('waits backoffMs before the first retry and twice as long before the next', async () => {
    // Prepare
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: NOW });
    const { client, at } = stubDynamo((_, request) => (request < 3 ? THROTTLED : {}));
    // Act
    const run = runStatements(client, numbered(1), { tries: 3, backoffMs: 100 });
    await vi.advanceTimersByTimeAsync(99);
    const beforeBackoff = at.length;
    await vi.advanceTimersByTimeAsync(301);
    // Assess
    expect(await run).toEqual([OK]);
    expect(beforeBackoff).toBe(1);
    expect(at.map((t) => t - NOW.getTime())).toEqual([0, 100, 300]);
  });

  it('gives up on a statement still throttled after `tries` requests, with an error outcome naming the code', async () => {
    // Prepare
    const { client, requests } = stubDynamo((s) => (indexOf(s) === 2 ? THROTTLED : {}));
    // Act
    const outcomes = await runStatements(client, numbered(4), { tries: 3, backoffMs: 0 });
    // Assess
    expect(requests.map((r) => r.map(indexOf))).toEqual([[0, 1, 2, 3], [2], [2]]);
    expect(outcomes.filter((o) => o.ok)).toHaveLength(3);
    const failed = outcomes[2] as { ok: false; error: Error };
    expect(failed.error).toBeInstanceOf(Error);
    expect(failed.error.name).toBe('ThrottlingError');
    expect(failed.error.message).toBe('ThrottlingError: Throughput exceeds the current capacity of your table or index.');
  });

  it('does not retry at all with tries 1', async () => {
    const { client, requests } = stubDynamo(() => THROTTLED);
    const outcomes = await runStatements(client, numbered(2), { tries: 1, backoffMs: 0 });
    expect(requests).toHaveLength(1);
    expect(outcomes.map((o) => !o.ok && 'error' in o && o.error.name)).toEqual(['ThrottlingError', 'ThrottlingError']);
  });

  it('reports a per-statement error that is not retryable at once, as an error', async () => {
    // Prepare
    const { client, requests } = stubDynamo((s) => (indexOf(s) === 0 ? { Error: { Code: 'ValidationError', Message: 'One or more parameter values were invalid' } } : {}));
    // Act
    const outcomes = await runStatements(client, numbered(2), { backoffMs: 0 });
    // Assess
    expect(requests).toHaveLength(1);
    const failed = outcomes[0] as { ok: false; error: Error };
    expect([failed.error.name, failed.error.message]).toEqual(['ValidationError', 'ValidationError: One or more parameter values were invalid']);
    expect(outcomes[1]).toEqual(OK);
  });

  it('sends 60 statements as requests of 25, 25 and 10, in order', async () => {
    // Prepare
    const { client, requests } = stubDynamo();
    // Act
    const outcomes = await runStatements(client, numbered(60));
    // Assess
    expect(requests.map((r) => r.length)).toEqual([25, 25, 10]);
    expect(requests.flat().map(indexOf)).toEqual(Array.from({ length: 60 }, (_, i) => i));
    expect(outcomes).toEqual(Array(60).fill(OK));
  });

  it('gathers the throttled statements of several requests into one retry request', async () => {
    // Prepare: one statement throttled in the first request, one in the third
    const { client, requests } = stubDynamo((s, request) => ([4, 55].includes(indexOf(s)) && request <= 3 ? THROTTLED : {}));
    // Act
    const outcomes = await runStatements(client, numbered(60), { backoffMs: 0 });
    // Assess
    expect(requests.map((r) => r.map(indexOf)).slice(3)).toEqual([[4, 55]]);
    expect(outcomes).toEqual(Array(60).fill(OK));
  });

  it('rejects the whole call when a request fails (e.g. throttled after the SDK’s own retries), and sends no further request', async () => {
    // Prepare: the second of three requests fails as a whole (an answer that throws makes send reject)
    const throttled = Object.assign(new Error('Rate of requests exceeds the allowed throughput.'), { name: 'ThrottlingException' });
    const { client, requests } = stubDynamo((_, request) => {
      if (request === 2) throw throttled;
      return {};
    });
    // Act
    const run = runStatements(client, numbered(60));
    // Assess
    await expect(run).rejects.toBe(throttled);
    expect(requests).toHaveLength(2);
  });

  it('does not take a statement the answer leaves out for applied', async () => {
    // Prepare: an answer with one entry for three statements
    const send = async () => ({ Responses: [{}] });
    // Act
    const outcomes = await runStatements({ send } as unknown as Pick<DynamoDBDocumentClient, 'send'>, numbered(3));
    // Assess
    expect(outcomes[0]).toEqual(OK);
    expect(outcomes.slice(1)).toEqual([
      { ok: false, error: new Error('BatchExecuteStatement answered 1 of 3 statements') },
      { ok: false, error: new Error('BatchExecuteStatement answered 1 of 3 statements') },
    ]);
  });
});
