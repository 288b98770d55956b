import { describe, expect, it } from 'vitest';
import { FINAL_STATUSES, PREDECESSORS, STATUSES, canTransition, isFinal, type MessageStatus } from '../../core/domain/message';

/** Lifecycle stage of each status: a transition to a lower stage goes backwards. */
const STAGE: Record<MessageStatus, number> = {
  ACCEPTED: 0,
  SCHEDULED: 0.5,
  ROUTED: 1,
  SUBMITTED: 2,
  RETRYING: 3,
  DELIVERED: 4,
  UNDELIVERED: 4,
  EXPIRED: 4,
  REJECTED: 4,
  FAILED: 4,
  UNKNOWN: 4,
  CANCELED: 4,
};

const ALL_PAIRS = STATUSES.flatMap((from) => STATUSES.map((to) => ({ from, to })));

function successors(status: MessageStatus): MessageStatus[] {
  return STATUSES.filter((to) => canTransition(status, to));
}

describe('message status model', () => {
  it('PREDECESSORS covers exactly the statuses, and names only known ones', () => {
    expect(Object.keys(PREDECESSORS).sort()).toEqual([...STATUSES].sort());
    for (const froms of Object.values(PREDECESSORS)) for (const s of froms) expect(STATUSES).toContain(s);
  });

  it('isFinal agrees with FINAL_STATUSES, and only ACCEPTED, SCHEDULED, ROUTED, SUBMITTED, RETRYING are in flight', () => {
    expect(STATUSES.filter((s) => !isFinal(s))).toEqual(['ACCEPTED', 'SCHEDULED', 'ROUTED', 'SUBMITTED', 'RETRYING']);
    expect(STATUSES.filter(isFinal)).toEqual([...FINAL_STATUSES]);
  });

  it.each([...FINAL_STATUSES])('final status %s has no successor', (status) => {
    expect(successors(status)).toEqual([]);
  });

  it('nothing moves a message back to ACCEPTED', () => {
    expect(STATUSES.filter((s) => canTransition(s, 'ACCEPTED'))).toEqual([]);
  });

  it('no status moves to itself (a duplicate event is not applied twice)', () => {
    expect(STATUSES.filter((s) => canTransition(s, s))).toEqual([]);
  });

  it('is monotonic: the only step back is RETRYING → ROUTED (the next attempt)', () => {
    // Act
    const backwards = ALL_PAIRS.filter(({ from, to }) => canTransition(from, to) && STAGE[to] <= STAGE[from]);
    // Assess
    expect(backwards).toEqual([{ from: 'RETRYING', to: 'ROUTED' }]);
  });

  it.each([
    ['DELIVERED', 'SUBMITTED'],
    ['DELIVERED', 'UNDELIVERED'],
    ['UNDELIVERED', 'DELIVERED'],
    ['SUBMITTED', 'ROUTED'],
    ['SUBMITTED', 'ACCEPTED'],
    ['ROUTED', 'ACCEPTED'],
    ['EXPIRED', 'ROUTED'],
    ['REJECTED', 'RETRYING'],
    ['FAILED', 'RETRYING'],
    ['CANCELED', 'ROUTED'],
    ['UNKNOWN', 'DELIVERED'],
    ['ACCEPTED', 'SUBMITTED'],
    ['ACCEPTED', 'DELIVERED'],
    ['ROUTED', 'DELIVERED'],
    ['SUBMITTED', 'CANCELED'],
    ['ROUTED', 'REJECTED'],
    ['SCHEDULED', 'SUBMITTED'],
    ['SCHEDULED', 'RETRYING'],
    ['ROUTED', 'SCHEDULED'],
    ['RETRYING', 'SCHEDULED'],
    ['CANCELED', 'SCHEDULED'],
  ] as const)('refuses %s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(false);
  });

  it.each([
    ['ACCEPTED', 'ROUTED'],
    ['RETRYING', 'ROUTED'],
    ['ROUTED', 'SUBMITTED'],
    ['ROUTED', 'RETRYING'],
    ['SUBMITTED', 'DELIVERED'],
    ['SUBMITTED', 'UNDELIVERED'],
    ['SUBMITTED', 'UNKNOWN'],
    ['ACCEPTED', 'EXPIRED'],
    ['ACCEPTED', 'REJECTED'],
    ['SUBMITTED', 'REJECTED'],
    ['ROUTED', 'FAILED'],
    ['ACCEPTED', 'CANCELED'],
    ['ACCEPTED', 'SCHEDULED'],
    ['SCHEDULED', 'ROUTED'],
    ['SCHEDULED', 'CANCELED'],
    ['SCHEDULED', 'EXPIRED'],
    ['SCHEDULED', 'REJECTED'],
    ['SCHEDULED', 'FAILED'],
  ] as const)('allows %s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(true);
  });

  it('every in-flight status is reachable from ACCEPTED and can still reach a final status', () => {
    // Prepare
    const reach = (start: MessageStatus): Set<MessageStatus> => {
      const seen = new Set<MessageStatus>([start]);
      const queue = [start];
      while (queue.length > 0) for (const next of successors(queue.shift()!)) if (!seen.has(next)) (seen.add(next), queue.push(next));
      return seen;
    };
    // Act
    const fromAccepted = reach('ACCEPTED');
    const deadEnds = STATUSES.filter((s) => !isFinal(s) && ![...reach(s)].some(isFinal));
    // Assess
    expect([...fromAccepted].sort()).toEqual([...STATUSES].sort());
    expect(deadEnds).toEqual([]);
  });

  it('a message is SCHEDULED only at acceptance: nothing but ACCEPTED leads there', () => {
    expect(PREDECESSORS.SCHEDULED).toEqual(['ACCEPTED']);
  });

  it('a SCHEDULED message goes on only to its routing or to a final status, never straight to the SMSC', () => {
    expect(successors('SCHEDULED').filter((s) => !isFinal(s))).toEqual(['ROUTED']);
  });

  it('never retries a submitted message: its text is gone (retainText off) and its receipts decide it', () => {
    expect(canTransition('SUBMITTED', 'RETRYING')).toBe(false);
  });

  it('receipts (DELIVERED, UNDELIVERED, UNKNOWN) only move SUBMITTED messages', () => {
    expect([PREDECESSORS.DELIVERED, PREDECESSORS.UNDELIVERED, PREDECESSORS.UNKNOWN]).toEqual([['SUBMITTED'], ['SUBMITTED'], ['SUBMITTED']]);
  });
});
