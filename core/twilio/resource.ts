/**
 * A message as Twilio's Message resource (API version 2010-04-01), the JSON the SDKs read into
 * their MessageInstance. Dates are RFC 2822 in UTC, numbers of segments and media are strings and
 * the price is negative (what the account was charged), all as Twilio writes them.
 */
import type { MessageRecord } from '../domain/message';
import { messageSid } from './sid';
import { twilioErrorCode, twilioErrorMessage, twilioStatus, type TwilioStatus } from './status';

export const API_VERSION = '2010-04-01';

export interface TwilioMessageResource {
  sid: string;
  account_sid: string;
  api_version: typeof API_VERSION;
  body: string;
  date_created: string;
  date_sent: string | null;
  date_updated: string;
  direction: 'outbound-api';
  error_code: number | null;
  error_message: string | null;
  from: string | null;
  to: string;
  messaging_service_sid: string | null;
  num_media: string;
  num_segments: string;
  price: string | null;
  price_unit: string | null;
  status: TwilioStatus;
  subresource_uris: { media: string };
  uri: string;
}

/** @example rfc2822('2026-12-01T20:00:00.000Z') // 'Tue, 01 Dec 2026 20:00:00 +0000' */
export function rfc2822(iso: string): string {
  return new Date(iso).toUTCString().replace(/GMT$/, '+0000');
}

/** "-0.04000": at least 5 decimals as Twilio, 6 when the price has them (prices have at most 6). */
export function twilioPrice(price: number): string {
  const six = price.toFixed(6);
  return `-${six.endsWith('0') ? six.slice(0, -1) : six}`;
}

/** The path of the account's messages: the base of every URI in a resource. */
export function messagesPath(accountSid: string): string {
  return `/${API_VERSION}/Accounts/${accountSid}/Messages`;
}

/**
 * The resource of `record` in the account `accountSid`. The text is gone from a record once it was
 * submitted (data minimisation, unless retainText): `body` is then "".
 */
export function twilioResource(record: MessageRecord, accountSid: string): TwilioMessageResource {
  const sid = messageSid(record.id);
  const submitted = record.submittedAt !== undefined || record.history.some((h) => h.status === 'SUBMITTED');
  const errorCode = twilioErrorCode(record.status, record.reason);
  return {
    sid,
    account_sid: accountSid,
    api_version: API_VERSION,
    body: record.text ?? '',
    date_created: rfc2822(record.createdAt),
    date_sent: record.submittedAt !== undefined ? rfc2822(record.submittedAt) : null,
    date_updated: rfc2822(record.updatedAt),
    direction: 'outbound-api',
    error_code: errorCode,
    error_message: twilioErrorMessage(errorCode),
    from: record.from ?? null,
    to: record.to,
    messaging_service_sid: null,
    num_media: '0',
    num_segments: String(record.segments),
    price: record.price !== undefined ? twilioPrice(record.price) : null,
    price_unit: record.currency ?? null,
    status: twilioStatus(record.status, submitted),
    subresource_uris: { media: `${messagesPath(accountSid)}/${sid}/Media.json` },
    uri: `${messagesPath(accountSid)}/${sid}.json`,
  };
}
