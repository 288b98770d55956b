/**
 * The SMPP worker process (one task of the worker service): one CarrierConnection
 * (the bind slots this task holds under their leases) and one CarrierWorker (queue
 * loop, polling only while a bind is held) per carrier, receipts and inbound messages
 * recorded before they are answered (an opt-out keyword applied and its reply stored first), heartbeats for the router, an HTTP health
 * endpoint for the container, and on SIGTERM a drain, unbind and release of the
 * leases, so a standby task takes the binds over within seconds.
 */
import { createServer, type Server } from 'node:http';
import { resolve } from 'node:path';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { BindLeaseStore } from '../core/aws/bind-lease-store';
import { CarrierHealth, liveTasks } from '../core/aws/carrier-health';
import { dynamo, sqs } from '../core/aws/clients';
import { DeliveryStore } from '../core/aws/delivery-store';
import { InboundStore } from '../core/aws/inbound-store';
import { MessageStore } from '../core/aws/message-store';
import { OptOutStore } from '../core/aws/opt-out-store';
import type { CarrierConfig } from '../core/config/schema';
import { leaseTiming } from '../core/domain/bind-leases';
import { WORKER_METRICS_INTERVAL_MS } from '../core/util/metric-names';
import { CarrierWorker, type DeliveryOutcome } from './carrier-worker';
import { deliverHandler } from './deliver-handler';
import { KeywordHandler } from './keyword-handler';
import { createLog, log, type Log } from './log';
import { MetricsPublisher } from './metrics';
import { loadWorkerSettings, localStackEnv, type WorkerSettings } from './settings';
import { CarrierConnection } from './smpp/carrier-connection';

export interface RunningWorker {
  settings: WorkerSettings;
  connections: Map<string, CarrierConnection>;
  workers: Map<string, CarrierWorker>;
  health: Server;
  stop(): Promise<void>;
}

/** Per-carrier metrics of a message outcome (see worker/metrics.ts). */
export function recordOutcome(metrics: Pick<MetricsPublisher, 'count' | 'observe'>, carrierId: string, outcome: DeliveryOutcome, acceptedAt: Date | undefined, now = Date.now()): void {
  if (outcome === 'submitted') {
    metrics.count(carrierId, 'Submitted');
    if (acceptedAt) metrics.observe(carrierId, 'SubmitLatency', now - acceptedAt.getTime());
  } else if (outcome === 'failed') metrics.count(carrierId, 'Failed');
  else if (outcome === 'retry') metrics.count(carrierId, 'Retries');
}

export async function startWorker(settings: WorkerSettings, logger: Log = log, metrics: MetricsPublisher = defaultMetrics(logger)): Promise<RunningWorker> {
  const delivery = new DeliveryStore(settings.tableName, settings.retentionDays, settings.receiptTimeoutSeconds, dynamo(), { writes: settings.deliveryWrites, retainText: settings.retainText });
  const inbound = new InboundStore(settings.tableName, dynamo(), settings.retentionDays);
  const messages = new MessageStore(settings.tableName, settings.retentionDays);
  const leases = new BindLeaseStore(settings.tableName);
  const keywords = new KeywordHandler({ optOuts: new OptOutStore(settings.tableName), messages, replyValiditySeconds: settings.replyValiditySeconds, prices: settings.prices });
  const heartbeats = new CarrierHealth(settings.tableName, settings.carriers.map((c) => c.config.id), 0);
  const connections = new Map<string, CarrierConnection>();
  const workers = new Map<string, CarrierWorker>();
  const lastError = new Map<string, string>();
  let draining = false;

  // A heartbeat per carrier: on a timer, and at once when its binds change, so the router
  // sees a carrier come up (or go down) without waiting for the next tick.
  const beatOne = (config: CarrierConfig): Promise<void> => {
    const connection = connections.get(config.id);
    if (!connection) return Promise.resolve();
    const error = lastError.get(config.id);
    return heartbeats
      .write({
        carrierId: config.id,
        taskId: settings.taskId,
        // While it drains its binds still submit what it holds, and a standby takes them over within
        // seconds: the carrier stays healthy through a handover. `draining` keeps it out of the spreading.
        bindsUp: connection.bindsUp(),
        bindsConfigured: config.binds,
        slots: connection.status().slots,
        ...(draining ? { draining: true } : {}),
        updatedAt: new Date().toISOString(),
        ...(error ? { lastError: error } : {}),
      })
      .catch((err: unknown) => logger('HEARTBEAT_FAILED', { carrierId: config.id, error: (err as Error).name }));
  };

  for (const { config, password, queueUrl } of settings.carriers) {
    const failed = (event: string) => () => lastError.set(config.id, `${event} ${new Date().toISOString()}`);
    const beatNow = () => void beatOne(config);
    const connection = new CarrierConnection({
      carrier: config,
      password,
      taskId: settings.taskId,
      leases,
      leaseTiming: leaseTiming(settings.leaseTtlSeconds * 1000),
      log: (event, data) => logger(event, { carrierId: config.id, ...data }),
      events: {
        onBindsChanged: beatNow,
        onThrottled: () => metrics.count(config.id, 'Throttled'),
        onBindLost: failed('BIND_LOST'),
        onBindRefused: failed('BIND_REFUSED'),
        // A bind that came back clears the error the heartbeat carried.
        onBindUp: () => lastError.delete(config.id),
        onLeaseAcquired: ({ takeover }) => {
          if (takeover) metrics.count(config.id, 'LeaseTakeovers');
          beatNow();
        },
        onLeaseLost: beatNow,
        onLeaseReleased: beatNow,
      },
      onDeliver: deliverHandler(config, { delivery, inbound, log: logger, metrics, tenants: settings.tenants, keywords }),
    });
    connections.set(config.id, connection);
    workers.set(
      config.id,
      new CarrierWorker({
        carrier: config,
        connection,
        queueUrl,
        sqs: sqs(),
        messages,
        delivery,
        scheduleRetry: (timer, attempt, reason, carrierId) => messages.scheduleRetry(timer, attempt, reason, carrierId),
        retryPolicy: settings.retryPolicy,
        waitTimeSeconds: settings.pollWaitSeconds,
        log: logger,
        onOutcome: (outcome, _envelope, _latencyMs, acceptedAt) => recordOutcome(metrics, config.id, outcome, acceptedAt),
        onLateSubmission: (late) => metrics.count(config.id, 'recordedOver' in late ? 'LateSubmissions' : 'UnrecordedSubmissions'),
      }),
    );
  }

  const beat = async () => {
    await Promise.all(settings.carriers.map(({ config }) => beatOne(config)));
  };
  // Every heartbeat, the binds are spread over the tasks the heartbeats show (bind-keeper.ts, yieldLease).
  const balance = async () => {
    if (draining) return;
    const now = new Date();
    await Promise.all(
      settings.carriers.map(async ({ config }) => {
        const beats = await heartbeats.heartbeats(config.id).catch(() => undefined);
        if (beats) connections.get(config.id)?.balance(liveTasks(beats, now, 3 * settings.heartbeatSeconds));
      }),
    );
  };
  const heartbeatTimer = setInterval(() => void beat().then(balance), settings.heartbeatSeconds * 1000);

  const health = createServer((req, res) => {
    const carriers = settings.carriers.map(({ config }) => {
      const status = connections.get(config.id)!.status();
      return { carrierId: config.id, bindsUp: status.bindsUp, slots: status.slots, outstanding: workers.get(config.id)!.outstanding };
    });
    // The process is healthy while it runs and is not draining; a carrier without binds is an alarm, not a restart.
    res.writeHead(draining ? 503 : 200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: draining ? 'draining' : 'ok', taskId: settings.taskId, carriers }));
  });
  await new Promise<void>((r) => health.listen(settings.healthPort, r));

  metrics.addGauges(() =>
    [...connections].flatMap(([carrierId, c]) => {
      const status = c.status();
      return [
        { carrierId, name: 'BindsUp' as const, value: status.bindsUp },
        { carrierId, name: 'WindowInUse' as const, value: status.binds.reduce((sum, b) => sum + b.outstanding, 0) },
      ];
    }),
  );
  metrics.start();

  for (const c of connections.values()) c.start();
  for (const w of workers.values()) w.start();
  logger('WORKER_STARTED', { taskId: settings.taskId, carriers: settings.carriers.map((c) => c.config.id) });
  void beat();

  const stop = async () => {
    if (draining) return;
    draining = true;
    logger('WORKER_DRAINING', { taskId: settings.taskId });
    const drainMs = settings.drainSeconds * 1000;
    // Stop pulling and let in-flight submissions finish, then unbind.
    await Promise.all([...workers.values()].map((w) => w.stop(drainMs)));
    // Pending SMSC-id mappings written, then the queue messages they held deleted.
    await delivery.drain();
    await Promise.all([...workers.values()].map((w) => w.settled()));
    await Promise.all([...connections.values()].map((c) => c.stop(Math.min(5000, drainMs))));
    clearInterval(heartbeatTimer);
    await Promise.all([beat(), metrics.stop()]);
    await new Promise<void>((r) => health.close(() => r()));
    logger('WORKER_STOPPED', { taskId: settings.taskId });
  };
  return { settings, connections, workers, health, stop };
}


function defaultMetrics(logger: Log): MetricsPublisher {
  return new MetricsPublisher({
    client: new CloudWatchClient({}),
    intervalMs: WORKER_METRICS_INTERVAL_MS,
    onError: (err) => logger('METRICS_FAILED', { error: err.name }),
    // At INFO, this line per carrier and interval stands for the per-message lines (worker/log.ts).
    onCounts: (carrierId, counts) => logger('DELIVERY_SUMMARY', { carrierId, seconds: WORKER_METRICS_INTERVAL_MS / 1000, ...counts }),
  });
}

async function main(): Promise<void> {
  const env = localStackEnv(resolve(__dirname, '..'), process.env);
  Object.assign(process.env, env);
  const settings = loadWorkerSettings(env);
  const running = await startWorker(settings, createLog(settings.logLevel));
  const shutdown = (signal: string) => {
    log('SIGNAL', { signal });
    running
      .stop()
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        log('SHUTDOWN_FAILED', { error: (err as Error).message });
        process.exit(1);
      });
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

if (require.main === module) {
  main().catch((err: unknown) => {
    log('WORKER_FAILED', { error: (err as Error).message });
    process.exit(1);
  });
}
