/**
 * Twilio message SIDs ↔ our message ids. A SID is "SM" and 32 hex digits; our id is a UUID, the
 * same 32 hex digits with dashes: the mapping is the id without its dashes, so it needs no lookup
 * and no second key in the table, and every message of the tenant has one SID whichever API sent it.
 */

const SID = /^SM([0-9a-f]{8})([0-9a-f]{4})([0-9a-f]{4})([0-9a-f]{4})([0-9a-f]{12})$/;

/** @example messageSid('0b6f2f38-6d0e-8c8b-9a1e-3f1c2d4e5f60') // 'SM0b6f2f386d0e8c8b9a1e3f1c2d4e5f60' */
export function messageSid(id: string): string {
  return `SM${id.replace(/-/g, '')}`;
}

/** The message id of a SID, or undefined when it is not one (a 404 then: no message has it). */
export function messageIdOf(sid: string): string | undefined {
  const m = SID.exec(sid);
  return m ? m.slice(1).join('-') : undefined;
}

/** A Messaging Service SID: "MG" and 32 hex digits. */
export const MESSAGING_SERVICE_SID = /^MG[0-9a-f]{32}$/;
