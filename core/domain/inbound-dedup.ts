/**
 * The id of a single-part inbound message, which is how a resent deliver_sm is recognised: an
 * SMSC resends a deliver_sm it saw no deliver_sm_resp for (one lost, or late past its timer,
 * or a rebind in between), seconds to minutes later, with a new sequence number. SMPP gives an
 * MO nothing else to tell a resend from a new message: deliver_sm has no message_id (3.4
 * §4.6.1; deliver_sm_resp's message_id is unused), its schedule_delivery_time and
 * validity_period are NULL, and receipted_message_id is for receipts only.
 *
 * The rule: two single-part messages on one carrier with the same source, destination and text
 * are one message when the second comes within DEDUP_WINDOW_MS of the first one stored. The id
 * is a hash of those fields and the window-long time bucket of the arrival; a message also
 * checks the previous bucket's id (`previousId`), so a resend that crosses a bucket boundary is
 * still found, and the store compares the time that one was received. The trade-off: the same
 * text sent twice by one person to one number within the window (a second "yes") is one message.
 * Concatenated messages keep the id their reassembly derives (inbound-store.ts). Pure.
 *
 * @example
 *   const ids = singlePartIds({ carrierId: 'sim-a', from: '+447700900123', to: '+447700900000', text: 'yes' }, new Date());
 *   // { id: '3f…', previousId: 'a1…', windowStart: <ms> }
 */
import { createHash } from 'node:crypto';

/** How long a resent deliver_sm is recognised: SMSCs resend after their response timer (seconds) or a rebind (minutes). */
export const DEDUP_WINDOW_MS = 600_000;

export interface DedupFields {
  carrierId: string;
  from: string;
  to: string;
  text: string;
}

function idOf(fields: DedupFields, bucket: number): string {
  // Newline-separated: none of the numbers holds one, and the text comes last.
  return createHash('sha256').update(`single\n${fields.carrierId}\n${fields.from}\n${fields.to}\n${bucket}\n${fields.text}`).digest('hex').slice(0, 32);
}

/** This arrival's id, the id the same message had in the previous bucket, and the earliest arrival time still in the window. */
export function singlePartIds(fields: DedupFields, now: Date): { id: string; previousId: string; windowStart: number } {
  const bucket = Math.floor(now.getTime() / DEDUP_WINDOW_MS);
  return { id: idOf(fields, bucket), previousId: idOf(fields, bucket - 1), windowStart: now.getTime() - DEDUP_WINDOW_MS };
}
