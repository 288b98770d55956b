/** The body of a webhook queue message: a status event, as the status topic published it. */
import { StatusEvent } from '../domain/status-event';
import { describeIssues } from '../util/schema-problems';

export class InvalidStatusEventError extends Error {
  constructor(readonly problem: string) {
    super(`not a status event: ${problem}`);
    this.name = 'InvalidStatusEventError';
  }
}

/** Throws InvalidStatusEventError, naming the fields, for anything but a valid status event. */
export function parseStatusEventBody(body: string): StatusEvent {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new InvalidStatusEventError('body is not JSON');
  }
  const parsed = StatusEvent.safeParse(json);
  if (!parsed.success) throw new InvalidStatusEventError(describeIssues(parsed.error.issues));
  return parsed.data;
}
