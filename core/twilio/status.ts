/**
 * Our message status → Twilio's. Twilio's `sending` has no counterpart: a message goes from
 * ROUTED (queued for its carrier) to SUBMITTED (the SMSC accepted it) in one step, so it is never
 * shown. A status that ends a message before any SMSC took it is `failed` (Twilio: it never left);
 * after submission, the carrier's verdict is `undelivered`. UNKNOWN (no receipt in time) stays
 * `sent`, as a Twilio message without a delivery receipt does.
 */
import type { MessageStatus } from '../domain/message';

export const TWILIO_STATUSES = ['queued', 'scheduled', 'sending', 'sent', 'delivered', 'undelivered', 'failed', 'canceled'] as const;
export type TwilioStatus = (typeof TWILIO_STATUSES)[number];

/** Whether the message was submitted to an SMSC changes the reading of a final status. */
type Mapping = TwilioStatus | { beforeSubmit: TwilioStatus; afterSubmit: TwilioStatus };

const BY_STATUS: Readonly<Record<MessageStatus, Mapping>> = {
  ACCEPTED: 'queued',
  SCHEDULED: 'scheduled',
  ROUTED: 'queued',
  RETRYING: 'queued',
  SUBMITTED: 'sent',
  DELIVERED: 'delivered',
  UNDELIVERED: 'undelivered',
  EXPIRED: { beforeSubmit: 'failed', afterSubmit: 'undelivered' },
  REJECTED: { beforeSubmit: 'failed', afterSubmit: 'undelivered' },
  FAILED: 'failed',
  UNKNOWN: 'sent',
  CANCELED: 'canceled',
};

/** The Twilio status of a message in `status`; `submitted`: an SMSC accepted it (its record has submittedAt, or SUBMITTED came before). */
export function twilioStatus(status: MessageStatus, submitted: boolean): TwilioStatus {
  const mapping = BY_STATUS[status];
  if (typeof mapping === 'string') return mapping;
  return submitted ? mapping.afterSubmit : mapping.beforeSubmit;
}

/**
 * Twilio's error code of a message that ended without delivery, from its status and reason, or
 * null: 21610 opted out, 21612 no route reaches the number, 30036 the validity ended, 30007 the
 * carrier refused it, 30003 the handset was not reached, 30008 anything else.
 */
export function twilioErrorCode(status: MessageStatus | string, reason: string | undefined): number | null {
  if (reason === 'opted_out') return 21610;
  if (reason === 'no_route') return 21612;
  switch (status) {
    case 'EXPIRED':
      return 30036;
    case 'REJECTED':
      return 30007;
    case 'UNDELIVERED':
      return 30003;
    case 'FAILED':
      return 30008;
    default:
      return null;
  }
}

const ERROR_MESSAGES: Readonly<Record<number, string>> = {
  21610: 'Attempt to send to unsubscribed recipient',
  21612: 'The To phone number is not currently reachable via SMS',
  30003: 'Unreachable destination handset',
  30007: 'Message filtered',
  30008: 'Unknown error',
  30036: 'Validity Period Expired',
};

export function twilioErrorMessage(code: number | null): string | null {
  return code === null ? null : (ERROR_MESSAGES[code] ?? null);
}
