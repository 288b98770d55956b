/**
 * Structured JSON logs with a small, stable set of event names shared by code, log
 * queries and alarms. Never pass message text; pass numbers through maskNumber.
 *
 * One line per call, as Powertools Logger writes it (which this replaced, for the
 * api bundle's size: docs/design.md): `{"level","message","timestamp","service",…data}`,
 * INFO and DEBUG on stdout, WARN and ERROR on stderr. The functions log JSON, so Lambda
 * filters by `level` too. The level: POWERTOOLS_LOG_LEVEL, else Lambda's
 * AWS_LAMBDA_LOG_LEVEL, else INFO; SILENT writes nothing (the unit tests).
 */
export const LogEvent = {
  MESSAGE_ACCEPTED: 'MESSAGE_ACCEPTED',
  MESSAGE_REPLAYED: 'MESSAGE_REPLAYED',
  MESSAGE_CANCELED: 'MESSAGE_CANCELED',
  /** An opt-out added or removed through the API (the number masked, like every `to`). */
  OPT_OUT_CREATED: 'OPT_OUT_CREATED',
  OPT_OUT_DELETED: 'OPT_OUT_DELETED',
  REQUEST_REJECTED: 'REQUEST_REJECTED',
  /** A message refused over a tenant's SMS-pumping limit (warn; the number masked). */
  SUSPECTED_PUMPING: 'SUSPECTED_PUMPING',
  MESSAGE_ENQUEUED: 'MESSAGE_ENQUEUED',
  STATUS_PUBLISHED: 'STATUS_PUBLISHED',
  INBOUND_PUBLISHED: 'INBOUND_PUBLISHED',
  /** Per-invocation summaries, the INFO lines of the stream and queue consumers and the api's batch path. */
  OUTBOX_BATCH: 'OUTBOX_BATCH',
  ROUTER_BATCH: 'ROUTER_BATCH',
  WEBHOOK_BATCH: 'WEBHOOK_BATCH',
  BATCH_ACCEPTED: 'BATCH_ACCEPTED',
  HEALTH_UNAVAILABLE: 'HEALTH_UNAVAILABLE',
  MESSAGE_ROUTED: 'MESSAGE_ROUTED',
  MESSAGE_REJECTED: 'MESSAGE_REJECTED',
  TRANSITION_SKIPPED: 'TRANSITION_SKIPPED',
  RECORD_FAILED: 'RECORD_FAILED',
  UNEXPECTED_ERROR: 'UNEXPECTED_ERROR',
} as const;
export type LogEvent = (typeof LogEvent)[keyof typeof LogEvent];

const LEVELS = { TRACE: 6, DEBUG: 10, INFO: 20, WARN: 30, ERROR: 40, CRITICAL: 50, SILENT: 100 } as const;
type LevelName = keyof typeof LEVELS;

export interface Logger {
  debug(event: string, data?: Record<string, unknown>): void;
  info(event: string, data?: Record<string, unknown>): void;
  warn(event: string, data?: Record<string, unknown>): void;
  error(event: string, data?: Record<string, unknown>): void;
}

function levelOf(env: NodeJS.ProcessEnv): number {
  const name = (env.POWERTOOLS_LOG_LEVEL ?? env.AWS_LAMBDA_LOG_LEVEL ?? 'INFO').toUpperCase();
  return name in LEVELS ? LEVELS[name as LevelName] : LEVELS.INFO;
}

/** An Error as its name, message and stack (JSON.stringify writes `{}` for one). */
function errorsAsObjects(_key: string, value: unknown): unknown {
  return value instanceof Error ? { name: value.name, message: value.message, stack: value.stack } : value;
}

/** A logger of one service; its level is read once, now. */
export function createLogger(serviceName: string, env: NodeJS.ProcessEnv = process.env): Logger {
  const threshold = levelOf(env);
  const write = (level: Exclude<LevelName, 'TRACE' | 'CRITICAL' | 'SILENT'>, event: string, data: Record<string, unknown> = {}): void => {
    if (LEVELS[level] < threshold) return;
    const trace = process.env._X_AMZN_TRACE_ID ? { xray_trace_id: process.env._X_AMZN_TRACE_ID.split(';')[0]!.replace('Root=', '') } : {};
    const line = JSON.stringify({ level, message: event, timestamp: new Date().toISOString(), service: serviceName, ...trace, ...data }, errorsAsObjects);
    (LEVELS[level] >= LEVELS.WARN ? process.stderr : process.stdout).write(`${line}\n`);
  };
  return {
    debug: (event, data) => write('DEBUG', event, data),
    info: (event, data) => write('INFO', event, data),
    warn: (event, data) => write('WARN', event, data),
    error: (event, data) => write('ERROR', event, data),
  };
}
