/**
 * What a delivery receipt means for the message. Pure.
 * A multi-part message is DELIVERED when every part is; when any final part
 * is not delivered the message ends with that part's state.
 */
import type { MessageStatus } from './message';
import type { ReceiptState } from './receipt';

/** The message status a final receipt state leads to; undefined for ENROUTE/ACCEPTED (not final). */
export function statusForReceipt(state: ReceiptState): MessageStatus | undefined {
  switch (state) {
    case 'DELIVERED':
      return 'DELIVERED';
    case 'EXPIRED':
      return 'EXPIRED';
    case 'DELETED':
    case 'UNDELIVERABLE':
    case 'REJECTED':
    case 'UNKNOWN':
      return 'UNDELIVERED';
    case 'ENROUTE':
    case 'ACCEPTED':
      return undefined;
  }
}

export interface SegmentsOutcome {
  /** True when every segment has a final receipt. */
  complete: boolean;
  status?: MessageStatus;
  /** The receipt state that decided a non-delivered outcome. */
  reason?: string;
}

/** Aggregates the final receipt states of a message's segments (index → state). */
export function aggregateSegments(states: Readonly<Record<string, ReceiptState>>, segments: number): SegmentsOutcome {
  const finals: ReceiptState[] = [];
  for (let i = 0; i < segments; i++) {
    const s = states[String(i)];
    if (s === undefined || statusForReceipt(s) === undefined) return { complete: false };
    finals.push(s);
  }
  const failed = finals.find((s) => s !== 'DELIVERED');
  if (!failed) return { complete: true, status: 'DELIVERED' };
  return { complete: true, status: statusForReceipt(failed)!, reason: `receipt_${failed.toLowerCase()}` };
}
