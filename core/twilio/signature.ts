/**
 * X-Twilio-Signature, Twilio's request signing (what twilio.validateRequest checks): base64 of
 * HMAC-SHA1 keyed with the account's auth token, over the full URL the request is sent to followed
 * by each POST parameter's name and value, the names sorted. The token itself is the key, so a
 * receiver verifies with the credentials it already has; it is why callbacks need the token, not its digest.
 */
import { createHmac } from 'node:crypto';

export const TWILIO_SIGNATURE_HEADER = 'X-Twilio-Signature';

/** @example twilioSignature(token, 'https://example.com/status', { MessageSid: 'SM…', MessageStatus: 'sent' }) // 'Qh2…=' */
export function twilioSignature(authToken: string, url: string, params: Readonly<Record<string, string>>): string {
  const data = Object.keys(params)
    .sort()
    .reduce((acc, key) => acc + key + params[key], url);
  return createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}
