/**
 * A status change of a message as one pure rule: the statuses it may come from
 * (PREDECESSORS), the attempt it must be on, the history entry it appends, and
 * the attributes it sets and removes. The DynamoDB store turns a plan into one
 * conditional UpdateItem (core/aws/message-store.ts); the test fakes and the
 * bench apply the same plan in memory with `applyTransition`, so an in-memory
 * stand-in cannot drift from the store.
 *
 * @example
 *   const plan = planTransition('SUBMITTED', { expectedAttempt: 1, carrierId: 'c-a', now }, 30);
 *   transitionAllowed(plan, record) ? applyTransition(record, plan) : record;
 */
import { dueShard } from './deadlines';
import { isFinal, PREDECESSORS, type MessageRecord, type MessageStatus, type StatusChange } from './message';

const DAY_SECONDS = 86_400;

export interface TransitionOptions {
  reason?: string;
  carrierId?: string;
  /** Only apply when the record's attempt equals this (guards per-attempt steps). */
  expectedAttempt?: number;
  /** Set the attempt number with the change (ROUTED starts attempt n+1). */
  attempt?: number;
  /** Further attributes to set with the change (e.g. SMSC ids). */
  set?: Record<string, unknown>;
  /** Attributes to remove with the change (e.g. the text, once every segment is submitted). */
  remove?: readonly string[];
  now?: Date;
}

export type TransitionResult = { applied: true; record: MessageRecord } | { applied: false; current: MessageRecord | undefined };

export interface TransitionPlan {
  to: MessageStatus;
  /** The statuses the message may be in for the change to apply. */
  from: readonly MessageStatus[];
  /** When set, the message's attempt must equal it. */
  expectedAttempt?: number;
  /** The entry appended to the history. */
  change: StatusChange;
  /** Every attribute the change sets (status, updatedAt, and the rest), besides the history. */
  set: Record<string, unknown>;
  /** Attributes the change removes: a final message leaves the due index; and what the options name. */
  remove: readonly string[];
}

/** The plan of moving a message to `to`; `retentionDays` sets how long a final record is kept (its TTL). */
export function planTransition(to: MessageStatus, options: TransitionOptions, retentionDays: number): TransitionPlan {
  const now = options.now ?? new Date();
  const at = now.toISOString();
  const change: StatusChange = {
    status: to,
    at,
    ...(options.reason !== undefined ? { reason: options.reason } : {}),
    ...(options.carrierId !== undefined ? { carrierId: options.carrierId } : {}),
    ...(options.attempt !== undefined ? { attempt: options.attempt } : {}),
  };
  const final = isFinal(to);
  return {
    to,
    from: PREDECESSORS[to],
    ...(options.expectedAttempt !== undefined ? { expectedAttempt: options.expectedAttempt } : {}),
    change,
    set: {
      status: to,
      updatedAt: at,
      ...(options.reason !== undefined ? { reason: options.reason } : {}),
      ...(options.carrierId !== undefined ? { carrierId: options.carrierId } : {}),
      ...(options.attempt !== undefined ? { attempt: options.attempt } : {}),
      ...options.set,
      // Retention counts from the end: DynamoDB's TTL removes the record this long after it became final.
      ...(final ? { expiresAt: Math.floor(now.getTime() / 1000) + retentionDays * DAY_SECONDS } : {}),
    },
    remove: [...(final ? ['dueShard', 'dueAt'] : []), ...(options.remove ?? [])],
  };
}

/**
 * The final statuses that an SMSC's acceptance outranks, with the reason SUBMITTED then records: a
 * cancel through the API, or the sweeper's expiry at the end of validity, written while the worker
 * was submitting the same attempt. The SMSC accepted it, so the message was sent: it will be
 * delivered (and charged) or not, and its receipts say which. Recording SUBMITTED over the cancel
 * tells the client so, where keeping CANCELED would hide a sent message. Nothing else moves a final
 * message: a FAILED or a RETRYING of the same attempt came from another submission of it, which
 * recorded what it saw.
 */
export const OUTRANKED_BY_SUBMISSION: Readonly<Partial<Record<MessageStatus, string>>> = {
  CANCELED: 'cancel_too_late',
  EXPIRED: 'expired_too_late',
};

/**
 * The plan of SUBMITTED over a cancel or expiry that came while the SMSC was accepting this attempt
 * (OUTRANKED_BY_SUBMISSION), or undefined when the record is not such a one: another status, or
 * another attempt. The message is back in the due index (the final status took it out), so the
 * sweeper makes it UNKNOWN if its receipts never come.
 *
 * @example
 *   planLateSubmission(canceled, { expectedAttempt: 1, carrierId: 'sim-a', set: { smscIds } }, 30);
 *   // → SUBMITTED from CANCELED, history entry { status: 'SUBMITTED', reason: 'cancel_too_late', … }
 */
export function planLateSubmission(
  current: Pick<MessageRecord, 'id' | 'status' | 'attempt'>,
  options: TransitionOptions & { expectedAttempt: number },
  retentionDays: number,
): TransitionPlan | undefined {
  const reason = OUTRANKED_BY_SUBMISSION[current.status];
  if (reason === undefined || current.attempt !== options.expectedAttempt) return undefined;
  const plan = planTransition('SUBMITTED', { ...options, reason, set: { ...options.set, dueShard: dueShard(current.id) } }, retentionDays);
  return { ...plan, from: [current.status] };
}

/** Whether the plan applies to a message in this state (the condition of the store's write). */
export function transitionAllowed(plan: TransitionPlan, record: Pick<MessageRecord, 'status' | 'attempt'> | undefined): boolean {
  return record !== undefined && plan.from.includes(record.status) && (plan.expectedAttempt === undefined || record.attempt === plan.expectedAttempt);
}

/** The record after the change (a new object; the caller checked transitionAllowed). */
export function applyTransition<R extends MessageRecord>(record: R, plan: TransitionPlan): R {
  const next: Record<string, unknown> = { ...(record as Record<string, unknown>), ...plan.set, history: [...record.history, plan.change] };
  for (const name of plan.remove) delete next[name];
  return next as R;
}

/** Plans and applies a change to an in-memory record, as the store's conditional write would. */
export function transitionInMemory(record: MessageRecord | undefined, to: MessageStatus, options: TransitionOptions, retentionDays: number): TransitionResult {
  const plan = planTransition(to, options, retentionDays);
  if (!record || !transitionAllowed(plan, record)) return { applied: false, current: record };
  return { applied: true, record: applyTransition(record, plan) };
}
