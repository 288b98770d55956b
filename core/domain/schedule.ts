/**
 * When a message is sent: at once, or at a time (status SCHEDULED). Pure. A request's `sendAt`
 * schedules it; a promotional message of a tenant with quiet hours whose destination is in them
 * (at `sendAt`, or now) is deferred to their end, with reason quiet_hours. Its validity counts
 * from the time it is scheduled for: from when it is actually sent.
 */
import type { MessageType } from './envelopes';
import { quietHoursEnd, zonesOf, type QuietHours } from './quiet-hours';

export const QUIET_HOURS_REASON = 'quiet_hours';

export interface Schedule {
  /** ISO-8601 (UTC) time at which the sweeper hands the message to the router. */
  sendAt: string;
  /** quiet_hours when quiet hours set the time (or moved the request's `sendAt`). */
  reason?: typeof QUIET_HOURS_REASON;
}

/**
 * The schedule of a valid submission, or undefined to send it at once. `sendAt` is the
 * request's, already checked to be ahead of the API's clock.
 *
 * @example scheduleOf({ type: 'promotional', country: 'GB' }, { start: '21:00', end: '08:00' }, new Date('2026-01-10T22:00:00Z'))
 *   // → { sendAt: '2026-01-11T08:00:00.000Z', reason: 'quiet_hours' }
 */
export function scheduleOf(message: { type: MessageType; country?: string; sendAt?: string }, quietHours: QuietHours | undefined, now: Date): Schedule | undefined {
  const at = message.sendAt !== undefined ? new Date(message.sendAt) : now;
  const deferred = quietHours !== undefined && message.type === 'promotional' ? quietHoursEnd(quietHours, zonesOf(message.country), at) : undefined;
  if (deferred) return { sendAt: deferred.toISOString(), reason: QUIET_HOURS_REASON };
  return message.sendAt !== undefined ? { sendAt: at.toISOString() } : undefined;
}
