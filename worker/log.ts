/**
 * The worker's log: JSON lines on stdout (CloudWatch Logs through the awslogs
 * driver), numbers masked, message text never passed in.
 *
 * CloudWatch Logs bills every byte, so the success path of each message — its
 * submission, its receipt, a skipped duplicate, an inbound part — is logged at
 * DEBUG, and at INFO the worker writes a DELIVERY_SUMMARY per carrier instead
 * (worker/main.ts, from the metrics it counts anyway). Failures, retries, binds
 * and lifecycle stay at INFO. LOG_LEVEL=DEBUG (worker settings) brings every
 * line back; `npm run local` runs the worker so, to show each message.
 */
import { maskNumber } from '../core/util/mask';

export type Log = (event: string, data?: Record<string, unknown>) => void;

export const LOG_LEVELS = ['DEBUG', 'INFO'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The per-message events of the success path. */
export const DEBUG_EVENTS: ReadonlySet<string> = new Set([
  'MESSAGE_SUBMITTED',
  'RECEIPT_APPLIED',
  'RECEIPT_UNMATCHED',
  'SUBMIT_SKIPPED',
  'THROTTLED',
  'INBOUND_PART_STORED',
  'INBOUND_RECORDED',
  'INBOUND_DUPLICATE',
]);

const NUMBER_FIELDS = ['to', 'from', 'destination', 'source'];

export function createLog(level: LogLevel, write: (line: string) => void = (line) => process.stdout.write(line)): Log {
  return (event, data = {}) => {
    const eventLevel: LogLevel = DEBUG_EVENTS.has(event) ? 'DEBUG' : 'INFO';
    if (eventLevel === 'DEBUG' && level !== 'DEBUG') return;
    const masked: Record<string, unknown> = { ...data };
    for (const k of NUMBER_FIELDS) if (typeof masked[k] === 'string') masked[k] = maskNumber(masked[k] as string);
    write(`${JSON.stringify({ level: eventLevel, timestamp: new Date().toISOString(), service: 'smpp-worker', message: event, ...masked })}\n`);
  };
}

/** At INFO: what a process logs before its settings are read, and what the bench measures. */
export const log: Log = createLog('INFO');
