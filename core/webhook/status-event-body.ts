/** The body of a webhook queue message: a status, opt-out or message.inbound event, as the status topic published it. */
import { InboundWebhookEvent } from '../domain/inbound-event';
import { OptOutEvent, type TopicEvent } from '../domain/opt-out-event';
import { StatusEvent } from '../domain/status-event';
import { describeIssues } from '../util/schema-problems';

export class InvalidStatusEventError extends Error {
  constructor(readonly problem: string) {
    super(`not a status event: ${problem}`);
    this.name = 'InvalidStatusEventError';
  }
}

/** Throws InvalidStatusEventError, naming the fields, for anything but a valid status, opt-out or inbound event (by its `type`). */
export function parseStatusEventBody(body: string): TopicEvent {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new InvalidStatusEventError('body is not JSON');
  }
  const type = typeof json === 'object' && json !== null && typeof (json as { type?: unknown }).type === 'string' ? (json as { type: string }).type : undefined;
  const schema = type?.startsWith('opt_out.') ? OptOutEvent : type === 'message.inbound' ? InboundWebhookEvent : StatusEvent;
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new InvalidStatusEventError(describeIssues(parsed.error.issues));
  return parsed.data;
}
