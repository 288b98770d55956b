/**
 * Deadlines: every item that must be acted on at a time — an open message at
 * the end of its validity, a SCHEDULED message at its `sendAt`, a SUBMITTED
 * message when its receipt is overdue, a retry timer when it is due — carries
 * `dueShard` / `dueAt` and so appears in the sparse `due` index. The sweeper
 * queries each shard for what is overdue. Final messages drop the attributes
 * and leave the index.
 */
import type { MessageRecord } from './message';

export const DUE_SHARDS = 8;

/**
 * The deadline a new message is stored with: its `sendAt` while SCHEDULED (the sweeper hands it
 * to the router then; routing makes the end of validity its deadline), else the end of validity.
 */
export function firstDeadline(record: Pick<MessageRecord, 'status' | 'sendAt' | 'validUntil'>): string {
  return record.status === 'SCHEDULED' && record.sendAt !== undefined ? record.sendAt : record.validUntil;
}

/** The index partition of an item: spread over a few shards to avoid one hot key. */
export function dueShard(id: string): string {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) >>> 0;
  return `DUE#${h % DUE_SHARDS}`;
}

export function allDueShards(): string[] {
  return Array.from({ length: DUE_SHARDS }, (_, i) => `DUE#${i}`);
}

export interface RetryPolicy {
  retryBaseSeconds: number;
  retryMaxSeconds: number;
}

/**
 * Delay before attempt `nextAttempt` (2, 3, …): exponential from the base,
 * capped, with "equal jitter" (between half and all of it) so retries of many
 * messages spread out but never come sooner than half the nominal delay.
 */
export function retryDelaySeconds(nextAttempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const nominal = Math.min(policy.retryMaxSeconds, policy.retryBaseSeconds * 2 ** Math.max(0, nextAttempt - 2));
  return Math.max(1, Math.round(nominal / 2 + random() * (nominal / 2)));
}

export type RetryDecision =
  | { action: 'retry'; nextAttempt: number; dueAt: Date }
  | { action: 'fail'; reason: string }
  | { action: 'expire'; reason: string };

/** What a transient failure of attempt `attempt` leads to: another attempt, or the end. */
export function decideRetry(
  attempt: number,
  maxAttempts: number,
  validUntil: string,
  now: Date,
  policy: RetryPolicy,
  why: string,
  random: () => number = Math.random,
): RetryDecision {
  if (attempt >= maxAttempts) return { action: 'fail', reason: `max_attempts (${maxAttempts}): ${why}` };
  const nextAttempt = attempt + 1;
  const dueAt = new Date(now.getTime() + retryDelaySeconds(nextAttempt, policy, random) * 1000);
  // Never past validity: a retry that could only start after it is pointless.
  if (dueAt.getTime() >= Date.parse(validUntil)) return { action: 'expire', reason: `validity_elapsed before attempt ${nextAttempt} (${why})` };
  return { action: 'retry', nextAttempt, dueAt };
}

/** Receives of a carrier-queue message that throttling may take before it counts as a transient failure (worker/carrier-worker.ts). */
export const MAX_THROTTLED_RECEIVES = 20;

/**
 * The carrier queues' maxReceiveCount: above MAX_THROTTLED_RECEIVES, and room for a few more
 * receives (messages handed back at a bind handover, a crashed task's in-flight ones), so that
 * the worker, not the redrive policy, decides a throttled message's fate.
 */
export const CARRIER_QUEUE_MAX_RECEIVES = MAX_THROTTLED_RECEIVES + 10;
