/**
 * A message as smsgw reads it from GET /v1/messages/{id} (and the 202 of a send):
 * the fields it shows, checked loosely, so a newer API's extra fields do no harm.
 */
import * as z from 'zod/mini';
import { FINAL_STATUSES, STATUSES, type MessageStatus } from '../core/domain/message';
import { describeIssues } from '../core/util/schema-problems';

const HistoryEntry = z.object({ status: z.string(), at: z.string(), reason: z.optional(z.string()), carrierId: z.optional(z.string()), attempt: z.optional(z.number()) });
const MessageView = z.object({
  id: z.string(),
  status: z.string(),
  to: z.optional(z.string()),
  from: z.optional(z.string()),
  reference: z.optional(z.string()),
  encoding: z.optional(z.string()),
  segments: z.optional(z.number()),
  attempt: z.optional(z.number()),
  carrierId: z.optional(z.string()),
  reason: z.optional(z.string()),
  smscIds: z.optional(z.array(z.string())),
  receipt: z.optional(z.object({ state: z.string(), errorCode: z.optional(z.string()), receivedAt: z.optional(z.string()) })),
  createdAt: z.optional(z.string()),
  /** A SCHEDULED message's time (and a scheduled one's after it was routed). */
  sendAt: z.optional(z.string()),
  history: z.optional(z.array(HistoryEntry)),
});
export type MessageView = z.infer<typeof MessageView>;

export function parseMessageView(body: unknown): MessageView {
  const parsed = MessageView.safeParse(body);
  if (!parsed.success) throw new Error(`unexpected answer from the API: ${describeIssues(parsed.error.issues)}`);
  return parsed.data;
}

/** Whether the message has reached a status it never leaves (an unknown status is not final: keep watching). */
export function isFinalStatus(status: string): boolean {
  return (STATUSES as readonly string[]).includes(status) && FINAL_STATUSES.has(status as MessageStatus);
}

