/**
 * The one transition rule (core/domain/transition.ts), and how the store turns
 * it into its conditional write (transitionUpdate): the in-memory application and
 * the UpdateItem say the same thing.
 */
import { describe, expect, it } from 'vitest';
import { transitionUpdate } from '../../core/aws/message-store';
import { PREDECESSORS, STATUSES } from '../../core/domain/message';
import { dueShard } from '../../core/domain/deadlines';
import { applyTransition, planLateSubmission, planTransition, transitionAllowed, transitionInMemory } from '../../core/domain/transition';
import { messageRecord, NOW } from '../support/factories';

describe('planTransition', () => {
  it('appends one history entry and sets status, updatedAt and the given fields', () => {
    // Prepare
    const plan = planTransition('ROUTED', { carrierId: 'c-a', attempt: 1, expectedAttempt: 0, reason: 'route "uk"', set: { dueAt: 'x' }, now: NOW }, 30);
    // Assess
    expect(plan).toEqual({
      to: 'ROUTED',
      from: PREDECESSORS.ROUTED,
      expectedAttempt: 0,
      change: { status: 'ROUTED', at: NOW.toISOString(), reason: 'route "uk"', carrierId: 'c-a', attempt: 1 },
      set: { status: 'ROUTED', updatedAt: NOW.toISOString(), reason: 'route "uk"', carrierId: 'c-a', attempt: 1, dueAt: 'x' },
      remove: [],
    });
  });

  it('keeps a final record for the retention period and takes it out of the due index', () => {
    const plan = planTransition('DELIVERED', { now: NOW }, 7);
    expect(plan.set.expiresAt).toBe(Math.floor(NOW.getTime() / 1000) + 7 * 86_400);
    expect(plan.remove).toEqual(['dueShard', 'dueAt']);
  });
});

describe('transitionAllowed', () => {
  it.each(STATUSES.flatMap((from) => STATUSES.map((to) => ({ from, to }))))('$from → $to follows PREDECESSORS', ({ from, to }) => {
    expect(transitionAllowed(planTransition(to, {}, 30), messageRecord({ status: from }))).toBe(PREDECESSORS[to].includes(from));
  });

  it('guards the attempt when one is expected, and refuses a missing message', () => {
    const plan = planTransition('SUBMITTED', { expectedAttempt: 2 }, 30);
    expect([1, 2, 3].map((attempt) => transitionAllowed(plan, messageRecord({ status: 'ROUTED', attempt })))).toEqual([false, true, false]);
    expect(transitionAllowed(plan, undefined)).toBe(false);
  });
});

describe('applyTransition and transitionInMemory', () => {
  it('returns a new record with the change, leaving the old one as it was', () => {
    // Prepare
    const record = messageRecord({ status: 'SUBMITTED', attempt: 1 });
    const before = structuredClone(record);
    // Act
    const next = applyTransition(record, planTransition('DELIVERED', { reason: 'receipt', now: NOW }, 30));
    // Assess
    expect(record).toEqual(before);
    expect(next).toMatchObject({ status: 'DELIVERED', reason: 'receipt', updatedAt: NOW.toISOString() });
    expect(next.history).toEqual([...before.history, { status: 'DELIVERED', at: NOW.toISOString(), reason: 'receipt' }]);
  });

  it('refuses what the condition would refuse, and says what the record is', () => {
    const record = messageRecord({ status: 'DELIVERED' });
    expect(transitionInMemory(record, 'ROUTED', {}, 30)).toEqual({ applied: false, current: record });
    expect(transitionInMemory(undefined, 'ROUTED', {}, 30)).toEqual({ applied: false, current: undefined });
  });
});

describe('transitionUpdate (the store’s conditional write)', () => {
  it('sets every planned attribute, appends the history entry, removes the due index attributes, under the plan’s condition', () => {
    // Prepare
    const plan = planTransition('UNKNOWN', { reason: 'receipt_timeout', expectedAttempt: 3, now: NOW }, 30);
    // Act
    const update = transitionUpdate(plan);
    // Assess
    expect(update.UpdateExpression).toBe(
      'SET #history = list_append(#history, :change), #status = :status, #updatedAt = :updatedAt, #reason = :reason, #expiresAt = :expiresAt REMOVE #dueShard, #dueAt',
    );
    expect(update.ConditionExpression).toBe('attribute_exists(pk) AND #status IN (:from0) AND #attempt = :expectedAttempt');
    expect(update.ExpressionAttributeValues).toEqual({
      ':change': [plan.change],
      ':status': 'UNKNOWN',
      ':updatedAt': NOW.toISOString(),
      ':reason': 'receipt_timeout',
      ':expiresAt': plan.set.expiresAt,
      ':from0': 'SUBMITTED',
      ':expectedAttempt': 3,
    });
    // Every placeholder used is defined, and every one defined is used.
    const used = new Set(`${update.UpdateExpression} ${update.ConditionExpression}`.match(/#\w+/g));
    expect(new Set(Object.keys(update.ExpressionAttributeNames))).toEqual(used);
  });
});

describe('planLateSubmission (the SMSC accepted an attempt that a cancel or an expiry made final meanwhile)', () => {
  const submission = { expectedAttempt: 1, carrierId: 'c-a', set: { smscIds: ['4711'] }, now: NOW };

  it.each([
    ['CANCELED', 'cancel_too_late'],
    ['EXPIRED', 'expired_too_late'],
  ] as const)('records SUBMITTED over %s, says why, and puts the message back in the due index', (status, reason) => {
    // Prepare
    const final = messageRecord({ status, attempt: 1, history: [{ status: 'ROUTED', at: NOW.toISOString() }, { status, at: NOW.toISOString() }] });

    // Act
    const plan = planLateSubmission(final, submission, 30)!;
    const next = applyTransition(final, plan);

    // Assess
    expect(transitionAllowed(plan, final)).toBe(true);
    expect(next).toMatchObject({ status: 'SUBMITTED', reason, carrierId: 'c-a', smscIds: ['4711'], dueShard: dueShard(final.id) });
    expect(next.history.map((c) => [c.status, c.reason])).toEqual([['ROUTED', undefined], [status, undefined], ['SUBMITTED', reason]]);
    expect(plan.remove).not.toContain('dueShard');
  });

  it('applies only to the status it was planned from, on the same attempt', () => {
    const plan = planLateSubmission(messageRecord({ status: 'CANCELED', attempt: 1 }), submission, 30)!;
    expect(transitionAllowed(plan, messageRecord({ status: 'CANCELED', attempt: 2 }))).toBe(false);
    expect(transitionAllowed(plan, messageRecord({ status: 'EXPIRED', attempt: 1 }))).toBe(false);
    expect(transitionAllowed(plan, messageRecord({ status: 'DELIVERED', attempt: 1 }))).toBe(false);
  });

  it.each(STATUSES.filter((s) => s !== 'CANCELED' && s !== 'EXPIRED'))('does not outrank %s', (status) => {
    expect(planLateSubmission(messageRecord({ status, attempt: 1 }), submission, 30)).toBeUndefined();
  });

  it('does not outrank a cancel or an expiry of another attempt', () => {
    expect(planLateSubmission(messageRecord({ status: 'CANCELED', attempt: 0 }), submission, 30)).toBeUndefined();
    expect(planLateSubmission(messageRecord({ status: 'EXPIRED', attempt: 2 }), submission, 30)).toBeUndefined();
  });
});
