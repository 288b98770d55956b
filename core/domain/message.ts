/**
 * The message record and its status model. Pure code: the DynamoDB repository
 * turns `PREDECESSORS` into the condition expression that guards every write, so
 * a late or duplicate event can never move a message backwards. The one step out
 * of a final status is the SMSC's acceptance of an attempt that a cancel or an
 * expiry overtook (planLateSubmission, core/domain/transition.ts): it was sent.
 */
import type { Encoding } from './encoding';
import type { MessageType } from './envelopes';

export const STATUSES = [
  'ACCEPTED',
  'SCHEDULED',
  'ROUTED',
  'SUBMITTED',
  'RETRYING',
  'DELIVERED',
  'UNDELIVERED',
  'EXPIRED',
  'REJECTED',
  'FAILED',
  'UNKNOWN',
  'CANCELED',
] as const;
export type MessageStatus = (typeof STATUSES)[number];

/** The forms of status callback a message can ask for (MessageRecord.callbackFormat). */
export const CALLBACK_FORMATS = ['twilio'] as const;
export type CallbackFormat = (typeof CALLBACK_FORMATS)[number];

export const FINAL_STATUSES: ReadonlySet<MessageStatus> = new Set([
  'DELIVERED',
  'UNDELIVERED',
  'EXPIRED',
  'REJECTED',
  'FAILED',
  'UNKNOWN',
  'CANCELED',
]);

export function isFinal(status: MessageStatus): boolean {
  return FINAL_STATUSES.has(status);
}

/**
 * For each status, the statuses a message may be in when it moves there.
 * ROUTED is reachable from RETRYING (the next attempt, which may pick another
 * carrier); SUBMITTED only from ROUTED (and over a cancel or an expiry that came
 * while the SMSC accepted the same attempt: planLateSubmission in transition.ts);
 * receipts only move SUBMITTED messages.
 * RETRYING only from ROUTED: a submitted message is never attempted again (its
 * text goes with SUBMITTED unless retainText is on, and its receipts decide it).
 * SCHEDULED only at acceptance (the API stores ACCEPTED and SCHEDULED in one write, like
 * ROUTED): a message with a `sendAt`, or deferred by quiet hours. From there the router's
 * claim of attempt 1 (ROUTED) once the sweeper finds it due, or a cancel; REJECTED (no route),
 * EXPIRED and FAILED as from ACCEPTED, which it stands for until its time.
 */
export const PREDECESSORS: Readonly<Record<MessageStatus, readonly MessageStatus[]>> = {
  ACCEPTED: [],
  SCHEDULED: ['ACCEPTED'],
  ROUTED: ['ACCEPTED', 'SCHEDULED', 'RETRYING'],
  SUBMITTED: ['ROUTED'],
  RETRYING: ['ROUTED'],
  DELIVERED: ['SUBMITTED'],
  UNDELIVERED: ['SUBMITTED'],
  EXPIRED: ['ACCEPTED', 'SCHEDULED', 'ROUTED', 'RETRYING', 'SUBMITTED'],
  REJECTED: ['ACCEPTED', 'SCHEDULED', 'RETRYING', 'SUBMITTED'],
  FAILED: ['ACCEPTED', 'SCHEDULED', 'ROUTED', 'RETRYING', 'SUBMITTED'],
  UNKNOWN: ['SUBMITTED'],
  CANCELED: ['ACCEPTED', 'SCHEDULED', 'ROUTED', 'RETRYING'],
};

export function canTransition(from: MessageStatus, to: MessageStatus): boolean {
  return PREDECESSORS[to].includes(from);
}

export interface StatusChange {
  status: MessageStatus;
  /** ISO-8601 time of the change. */
  at: string;
  reason?: string;
  carrierId?: string;
  attempt?: number;
}

/** What the carrier reported for the message (all segments together). */
export interface ReceiptDetails {
  /** Receipt state that decided the outcome: DELIVERED only when every segment was delivered. */
  state: string;
  errorCode?: string;
  /** ISO-8601 time the deciding receipt was recorded. */
  receivedAt: string;
  /** ISO-8601 `done date` of the receipt, when the carrier sent one. */
  doneAt?: string;
}

/** What the API accepted, before any routing: the durable part of a submission. */
export interface MessageRecord {
  id: string;
  tenantId: string;
  status: MessageStatus;
  /** E.164 destination with "+". */
  to: string;
  country?: string;
  from?: string;
  /** Absent once every segment was submitted, unless `retainText` is on (data minimisation; keeps later updates under 1 KB). */
  text?: string;
  type: MessageType;
  encoding: Encoding;
  segments: number;
  reference?: string;
  callbackUrl?: string;
  /**
   * How its status callbacks are posted: unset, our signed JSON status events; `twilio`, Twilio's
   * form-encoded callback signed with X-Twilio-Signature (a message sent through the Twilio-compatible API).
   */
  callbackFormat?: CallbackFormat;
  /** ISO-8601: after this the message is not attempted any more (EXPIRED). Counts from `sendAt` for a scheduled message. */
  validUntil: string;
  /**
   * ISO-8601: when a SCHEDULED message is routed (the request's `sendAt`, or the end of its
   * destination's quiet hours: reason quiet_hours). Kept after it was routed; absent for a message sent at once.
   */
  sendAt?: string;
  createdAt: string;
  updatedAt: string;
  /** Attempt number of the current or last delivery attempt (0 before the first). */
  attempt: number;
  carrierId?: string;
  reason?: string;
  history: StatusChange[];
  /** SMSC message id of each segment, in order, once SUBMITTED. */
  smscIds?: string[];
  submittedAt?: string;
  receipt?: ReceiptDetails;
  /**
   * segments × the rate of its country (and of the carrier the API routed it to), fixed at
   * acceptance: a retry on another carrier does not reprice it (core/domain/prices.ts). Only with a price table.
   */
  price?: number;
  /** ISO 4217 code of `price`. */
  currency?: string;
  /** The API counted it in its tenant's usage at acceptance (a tenant with caps); unset, the outbox counts its INSERT. */
  usageCounted?: boolean;
  /** SHA-256 of the request that created it, for idempotent replays. */
  requestHash?: string;
}
