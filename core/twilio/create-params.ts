/**
 * The parameters of POST …/Messages.json → the submission of POST /v1/messages, which the /v1
 * pipeline then validates like any other (core/domain/submission.ts). Only what has no /v1
 * counterpart is checked here: presence as Twilio requires it, ValidityPeriod's range, SendAt with
 * ScheduleType, the Messaging Service alias, media, and the parameters accepted but ignored.
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { TwilioCode, twilioError } from './errors';
import type { FormValues } from './form';
import { MESSAGING_SERVICE_SID } from './sid';

/**
 * Parameters Twilio takes that change nothing here (README#twilio-compatible-api): pricing and
 * feedback controls, Twilio-side features (link shortening, smart encoding, retention, risk checks).
 */
export const IGNORED_PARAMETERS = [
  'AddressRetention',
  'ApplicationSid',
  'Attempt',
  'ContentRetention',
  'FallbackFrom',
  'ForceDelivery',
  'MaxPrice',
  'MessageIntent',
  'PersistentAction',
  'ProvideFeedback',
  'RiskCheck',
  'SendAsMms',
  'ShortenUrls',
  'SmartEncoded',
  'TrafficType',
] as const;

/** Parameters Twilio takes that this gateway cannot honour: refused rather than dropped. */
const UNSUPPORTED: Readonly<Record<string, { code: number; message: string }>> = {
  MediaUrl: { code: TwilioCode.mediaNotSupported, message: 'MediaUrl: media (MMS) is not supported by this gateway; send text only' },
  ContentSid: { code: TwilioCode.invalidParameter, message: 'ContentSid: content templates are not supported by this gateway; send Body' },
  ContentVariables: { code: TwilioCode.invalidParameter, message: 'ContentVariables: content templates are not supported by this gateway; send Body' },
};

const USED = ['To', 'From', 'MessagingServiceSid', 'Body', 'StatusCallback', 'ValidityPeriod', 'SendAt', 'ScheduleType'] as const;
const KNOWN: ReadonlySet<string> = new Set<string>([...USED, ...IGNORED_PARAMETERS, ...Object.keys(UNSUPPORTED)]);

/** Twilio's ValidityPeriod range, in seconds. */
export const MAX_VALIDITY_PERIOD = 36_000;
/** Our shortest validity: the sweeper expires messages once a minute, a shorter one could not be kept. */
export const MIN_VALIDITY_SECONDS = 60;

export interface SubmissionFromTwilio {
  to: string;
  from?: string;
  text: string;
  callbackUrl?: string;
  validitySeconds?: number;
  sendAt?: string;
}

type Translation = { ok: true; value: SubmissionFromTwilio } | { ok: false; response: APIGatewayProxyResult };

const refuse = (code: number, message: string): Translation => ({ ok: false, response: twilioError(400, code, message) });

export function submissionFromTwilio(form: FormValues): Translation {
  for (const [key, values] of form) {
    const unsupported = UNSUPPORTED[key];
    if (unsupported) return refuse(unsupported.code, unsupported.message);
    if (!KNOWN.has(key)) return refuse(TwilioCode.invalidParameter, `${key}: unknown parameter`);
    if (values.length > 1) return refuse(TwilioCode.invalidParameter, `${key}: given ${values.length} times; give it once`);
  }
  const one = (key: (typeof USED)[number]) => form.get(key)?.[0];
  const to = one('To');
  if (to === undefined || to === '') return refuse(TwilioCode.toRequired, "A 'To' phone number is required");
  const body = one('Body');
  if (body === undefined || body === '') return refuse(TwilioCode.bodyRequired, 'Message body is required');
  const from = one('From');
  const service = one('MessagingServiceSid');
  if (service !== undefined && !MESSAGING_SERVICE_SID.test(service)) return refuse(TwilioCode.invalidParameter, 'MessagingServiceSid: must be "MG" followed by 32 lowercase hex digits');
  // A Messaging Service stands for the tenant's default sender: leaving `from` out lets its rules fill it in.
  if ((from === undefined || from === '') && service === undefined) return refuse(TwilioCode.fromRequired, "A 'From' phone number or MessagingServiceSid is required");

  const value: SubmissionFromTwilio = { to, text: body, ...(from !== undefined && from !== '' ? { from } : {}) };
  const callback = one('StatusCallback');
  if (callback !== undefined && callback !== '') value.callbackUrl = callback;

  const validity = one('ValidityPeriod');
  if (validity !== undefined) {
    const seconds = /^[0-9]{1,6}$/.test(validity) ? Number(validity) : NaN;
    if (!(seconds >= 1 && seconds <= MAX_VALIDITY_PERIOD)) return refuse(TwilioCode.invalidValidityPeriod, `ValidityPeriod: must be a whole number of seconds from 1 to ${MAX_VALIDITY_PERIOD}, got ${JSON.stringify(validity)}`);
    value.validitySeconds = Math.max(MIN_VALIDITY_SECONDS, seconds);
  }

  const sendAt = one('SendAt');
  const scheduleType = one('ScheduleType');
  if (scheduleType !== undefined && scheduleType !== 'fixed') return refuse(TwilioCode.invalidParameter, `ScheduleType: must be "fixed", got ${JSON.stringify(scheduleType)}`);
  if ((sendAt === undefined) !== (scheduleType === undefined)) return refuse(TwilioCode.invalidParameter, 'SendAt and ScheduleType=fixed go together: give both or neither');
  if (sendAt !== undefined) {
    const at = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(sendAt) ? new Date(sendAt) : undefined;
    if (!at || Number.isNaN(at.getTime())) return refuse(TwilioCode.invalidParameter, `SendAt: must be an ISO 8601 date and time with its offset, e.g. 2026-12-01T21:00:00Z, got ${JSON.stringify(sendAt)}`);
    value.sendAt = at.toISOString();
  }
  return { ok: true, value };
}
