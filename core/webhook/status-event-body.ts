/** The body of a webhook queue message: a status or opt-out event, as the status topic published it. */
import { OptOutEvent, type TopicEvent } from '../domain/opt-out-event';
import { StatusEvent } from '../domain/status-event';
import { describeIssues } from '../util/schema-problems';

export class InvalidStatusEventError extends Error {
  constructor(readonly problem: string) {
    super(`not a status event: ${problem}`);
    this.name = 'InvalidStatusEventError';
  }
}

/** Throws InvalidStatusEventError, naming the fields, for anything but a valid status or opt-out event (by its `type`). */
export function parseStatusEventBody(body: string): TopicEvent {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new InvalidStatusEventError('body is not JSON');
  }
  const isOptOut = typeof json === 'object' && json !== null && typeof (json as { type?: unknown }).type === 'string' && (json as { type: string }).type.startsWith('opt_out.');
  const parsed = isOptOut ? OptOutEvent.safeParse(json) : StatusEvent.safeParse(json);
  if (!parsed.success) throw new InvalidStatusEventError(describeIssues(parsed.error.issues));
  return parsed.data;
}
