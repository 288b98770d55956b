/**
 * The worker's settings, read once and validated. In ECS everything comes from
 * the task definition (carrier configs and the tenants' numbers and opt-out settings
 * as JSON, passwords injected from Secrets Manager as CARRIER_PASSWORD_<ID>). Locally
 * (`npm run worker`) the carriers and tenants come from GATEWAY_CONFIG and the
 * endpoints from .local/outputs.json.
 */
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { z } from 'zod';
import { configPath, loadGatewayConfig } from '../core/config/load';
import { localOutputsFile, readLocalOutputs } from '../core/config/local-outputs';
import type { WriteMode } from '../core/aws/batch-writes';
import { CarrierConfig, PricesConfig, TenantConfig } from '../core/config/schema';
import type { InboundTenant } from '../core/domain/number-ownership';
import { LOG_LEVELS, type LogLevel } from './log';

const Env = z.object({
  TABLE_NAME: z.string().min(1),
  CARRIER_QUEUE_URLS: z.string().min(2),
  /** Where inbound messages are published: required, so a worker never answers deliver_sm it cannot publish. */
  WORKER_CARRIERS: z.string().optional(),
  /** The tenants' ids, numbers and opt-out settings as JSON (inbound messages: number ownership, keywords). */
  WORKER_TENANTS: z.string().optional(),
  /** The validity of a keyword's reply (the config's limits.defaultValiditySeconds). */
  DEFAULT_VALIDITY_SECONDS: z.coerce.number().int().positive().optional(),
  /** The config's price table as JSON, empty without one: a keyword's reply is priced like a message of the API. */
  WORKER_PRICES: z.string().optional(),
  RETENTION_DAYS: z.coerce.number().int().positive().optional(),
  RECEIPT_TIMEOUT_SECONDS: z.coerce.number().int().positive().optional(),
  RETRY_BASE_SECONDS: z.coerce.number().int().positive().optional(),
  RETRY_MAX_SECONDS: z.coerce.number().int().positive().optional(),
  /** 'true' keeps a message's text after SUBMITTED (the config's retainText). */
  RETAIN_TEXT: z.enum(['true', 'false']).optional(),
  HEALTH_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HEARTBEAT_SECONDS: z.coerce.number().positive().default(5),
  DRAIN_SECONDS: z.coerce.number().positive().default(25),
  /** SQS long-poll wait; also bounds how long a stop waits for the poll in progress. */
  POLL_WAIT_SECONDS: z.coerce.number().int().min(1).max(20).default(20),
  TASK_ID: z.string().optional(),
  /** Comma-separated carrier ids this worker serves (default: all). */
  CARRIERS: z.string().optional(),
  /**
   * How coalesced writes are sent (core/aws/batch-writes.ts): PartiQL batches in AWS; item by item on
   * emulators, whose PartiQL writes emit no stream records (the outbox would miss status events).
   */
  DELIVERY_WRITES: z.enum(['partiql', 'item-by-item']).default('partiql'),
  /** Bind lease TTL (core/domain/bind-leases.ts): a crashed task's binds are taken over within it. */
  LEASE_TTL_SECONDS: z.coerce.number().min(3).max(300).default(15),
  /** DEBUG adds a line per message step to the INFO lines (worker/log.ts). */
  LOG_LEVEL: z.enum(LOG_LEVELS).default('INFO'),
});

export interface WorkerSettings {
  tableName: string;
  retentionDays: number;
  retainText: boolean;
  receiptTimeoutSeconds: number;
  retryPolicy: { retryBaseSeconds: number; retryMaxSeconds: number };
  healthPort: number;
  heartbeatSeconds: number;
  drainSeconds: number;
  pollWaitSeconds: number;
  taskId: string;
  deliveryWrites: WriteMode;
  leaseTtlSeconds: number;
  logLevel: LogLevel;
  carriers: { config: CarrierConfig; password: string; queueUrl: string }[];
  /** Whose numbers inbound messages are sent to, and how each tenant's opt-out keywords work. */
  tenants: InboundTenant[];
  replyValiditySeconds: number;
  /** The config's price table, for the replies' price (core/domain/prices.ts); undefined without one. */
  prices: PricesConfig | undefined;
}

/** What the task definition carries of each tenant (WORKER_TENANTS): never its API keys. */
export const WorkerTenant = TenantConfig.pick({ id: true, numbers: true, optOut: true });

/** A tenant's part the worker needs, without the rest of its config. */
const inboundTenant = ({ id, numbers, optOut }: InboundTenant): InboundTenant => ({ id, numbers, optOut });

/** WORKER_TENANTS for a config's tenants. */
export function workerTenants(tenants: readonly InboundTenant[]): string {
  return JSON.stringify(tenants.map(inboundTenant));
}

export class WorkerSettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkerSettingsError';
  }
}

/** Stack outputs of a local deploy, as environment variables (only those not already set). */
export function localStackEnv(repoRoot: string, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const file = localOutputsFile(repoRoot);
  if (env.TABLE_NAME || !existsSync(file)) return env;
  const out = readLocalOutputs(file);
  return {
    AWS_ENDPOINT_URL: out.endpoint,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: 'us-east-1',
    // The emulator's PartiQL writes reach no stream (docs/design.md, emulator gaps).
    DELIVERY_WRITES: 'item-by-item',
    ...env,
    TABLE_NAME: out.tableName,
    CARRIER_QUEUE_URLS: JSON.stringify(out.carrierQueueUrls),
  };
}

export function loadWorkerSettings(env: NodeJS.ProcessEnv): WorkerSettings {
  const parsed = Env.safeParse(env);
  if (!parsed.success) throw new WorkerSettingsError(`worker environment: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const e = parsed.data;
  const queueUrls = z.record(z.string(), z.string()).parse(JSON.parse(e.CARRIER_QUEUE_URLS));
  // In ECS the task definition carries everything; locally the config file fills what is not set.
  const file = e.WORKER_CARRIERS && e.WORKER_TENANTS && e.DEFAULT_VALIDITY_SECONDS && e.RETENTION_DAYS && e.RECEIPT_TIMEOUT_SECONDS && e.RETRY_BASE_SECONDS && e.RETRY_MAX_SECONDS && e.RETAIN_TEXT ? undefined : loadGatewayConfig(configPath(env));
  const carriers = e.WORKER_CARRIERS ? z.array(CarrierConfig).parse(JSON.parse(e.WORKER_CARRIERS)) : file!.carriers;
  const tenants = e.WORKER_TENANTS ? z.array(WorkerTenant).parse(JSON.parse(e.WORKER_TENANTS)) : file!.tenants.map(inboundTenant);
  const wanted = e.CARRIERS ? new Set(e.CARRIERS.split(',').map((s) => s.trim())) : undefined;
  return {
    tableName: e.TABLE_NAME,
    retentionDays: e.RETENTION_DAYS ?? file!.retentionDays,
    retainText: e.RETAIN_TEXT ? e.RETAIN_TEXT === 'true' : file!.retainText,
    receiptTimeoutSeconds: e.RECEIPT_TIMEOUT_SECONDS ?? file!.lifecycle.receiptTimeoutSeconds,
    retryPolicy: {
      retryBaseSeconds: e.RETRY_BASE_SECONDS ?? file!.lifecycle.retryBaseSeconds,
      retryMaxSeconds: e.RETRY_MAX_SECONDS ?? file!.lifecycle.retryMaxSeconds,
    },
    healthPort: e.HEALTH_PORT,
    heartbeatSeconds: e.HEARTBEAT_SECONDS,
    drainSeconds: e.DRAIN_SECONDS,
    pollWaitSeconds: e.POLL_WAIT_SECONDS,
    taskId: e.TASK_ID ?? `${hostname()}-${process.pid}`,
    deliveryWrites: e.DELIVERY_WRITES,
    leaseTtlSeconds: e.LEASE_TTL_SECONDS,
    logLevel: e.LOG_LEVEL,
    tenants,
    replyValiditySeconds: e.DEFAULT_VALIDITY_SECONDS ?? file!.limits.defaultValiditySeconds,
    prices: e.WORKER_PRICES !== undefined ? (e.WORKER_PRICES === '' ? undefined : PricesConfig.parse(JSON.parse(e.WORKER_PRICES))) : file?.prices,
    carriers: carriers
      .filter((c) => !wanted || wanted.has(c.id))
      .map((config) => {
        const queueUrl = queueUrls[config.id];
        if (!queueUrl) throw new WorkerSettingsError(`no queue URL for carrier ${config.id} in CARRIER_QUEUE_URLS`);
        const password = env[passwordVariable(config.id)] ?? config.password;
        if (password === undefined) throw new WorkerSettingsError(`carrier ${config.id}: no password (set ${passwordVariable(config.id)} or password in the config)`);
        return { config, password, queueUrl };
      }),
  };
}

/** The variable ECS fills from the carrier's Secrets Manager secret. */
export function passwordVariable(carrierId: string): string {
  return `CARRIER_PASSWORD_${carrierId.toUpperCase().replace(/-/g, '_')}`;
}
