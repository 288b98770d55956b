/**
 * Status callbacks of messages sent through the Twilio-compatible API: Twilio's form-encoded POST
 * (MessageSid, MessageStatus, ErrorCode, AccountSid, From, To, and the SmsSid, SmsStatus and
 * ApiVersion Twilio sends beside them) signed with X-Twilio-Signature, on the same queue, retries
 * and dead letters as our JSON status events (core/webhook/deliver-status-event.ts).
 *
 * Our status changes are finer than Twilio's: ACCEPTED and ROUTED are both `queued`, a retry goes
 * RETRYING → ROUTED, still `queued`. A change that leaves the Twilio status as it was is not posted.
 */
import type { StatusEvent } from '../domain/status-event';
import { postToReceiver, type DeliverOptions, type DeliveryResult } from '../webhook/dispatcher';
import { API_VERSION } from './resource';
import { TWILIO_SIGNATURE_HEADER, twilioSignature } from './signature';
import { messageSid } from './sid';
import { twilioErrorCode, twilioStatus } from './status';

function submittedBefore(event: Pick<StatusEvent, 'status' | 'previousStatus'>): boolean {
  // EXPIRED and REJECTED read differently after submission: SUBMITTED is the only status they follow then.
  return event.previousStatus === 'SUBMITTED';
}

/** Whether the change is one a Twilio client sees: its Twilio status differs from the one before it (the first always is). */
export function changesTwilioStatus(event: Pick<StatusEvent, 'status' | 'previousStatus'>): boolean {
  if (event.previousStatus === undefined) return true;
  // The status before the previous one is not in the event; SUBMITTED itself maps to one reading only.
  return twilioStatus(event.status, submittedBefore(event)) !== twilioStatus(event.previousStatus, false);
}

/** The callback's parameters (ErrorCode only when the message failed, as Twilio). */
export function callbackParams(event: StatusEvent, accountSid: string): Record<string, string> {
  const sid = messageSid(event.messageId);
  const status = twilioStatus(event.status, submittedBefore(event));
  const errorCode = twilioErrorCode(event.status, event.reason);
  return {
    AccountSid: accountSid,
    ApiVersion: API_VERSION,
    ...(event.from !== undefined ? { From: event.from } : {}),
    MessageSid: sid,
    MessageStatus: status,
    SmsSid: sid,
    SmsStatus: status,
    ...(event.to !== undefined ? { To: event.to } : {}),
    ...(errorCode !== null ? { ErrorCode: String(errorCode) } : {}),
  };
}

/**
 * POSTs the callback of `event` to `url`, signed with the account's auth token.
 *
 * @example await deliverTwilioCallback(event, { url: event.callbackUrl!, authToken, accountSid }, settings.urlRules)
 */
export function deliverTwilioCallback(event: StatusEvent, target: { url: string; authToken: string; accountSid: string }, opts: DeliverOptions): Promise<DeliveryResult> {
  const params = callbackParams(event, target.accountSid);
  return postToReceiver(
    target.url,
    {
      body: new URLSearchParams(params).toString(),
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'i-twilio-idempotency-token': event.eventId,
        [TWILIO_SIGNATURE_HEADER]: twilioSignature(target.authToken, target.url, params),
      },
    },
    opts,
  );
}
