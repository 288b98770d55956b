/**
 * The SMPP worker's metrics, sent with PutMetricData: the awslogs log driver
 * does not extract the embedded metric format from a container's stdout, so
 * EMF (what the Lambdas use) would stay plain log lines here.
 *
 * Everything is aggregated in memory per carrier and sent every `intervalMs`
 * (and on stop): counters as one sum, timings as one StatisticSet, gauges as
 * the value sampled at flush time. A PutMetricData call carries at most
 * MAX_DATA_PER_CALL values, so the cost is a few requests per interval, not
 * one per message.
 *
 * @example
 * const metrics = new MetricsPublisher({ client: new CloudWatchClient({}) });
 * metrics.addGauges(() => [{ carrierId: 'sim-a', name: 'BindsUp', value: connection.bindsUp() }]);
 * metrics.start();
 * metrics.count('sim-a', 'Submitted');
 * metrics.observe('sim-a', 'SubmitLatency', 840);
 * await metrics.stop();
 */
import { PutMetricDataCommand, type CloudWatchClient, type MetricDatum } from '@aws-sdk/client-cloudwatch';
import { METRICS_NAMESPACE, MetricDimension, WORKER_METRICS_INTERVAL_MS, type WorkerCounter, type WorkerGauge, type WorkerTiming } from '../core/util/metric-names';

/** PutMetricData accepts at most 1000 metric data per request. */
export const MAX_DATA_PER_CALL = 1000;

export interface GaugeSample {
  carrierId: string;
  name: WorkerGauge;
  value: number;
}

export interface MetricsPublisherOptions {
  client: Pick<CloudWatchClient, 'send'>;
  /** @default 'SmsGateway' */
  namespace?: string;
  /** @default 10000 */
  intervalMs?: number;
  /** A failed PutMetricData: the data of that call are dropped (metrics are best effort, never a backlog). */
  onError?: (err: Error) => void;
  /** Each carrier's counters of an interval, as they are sent (the worker's summary log line). */
  onCounts?: (carrierId: string, counts: Partial<Record<WorkerCounter, number>>) => void;
  now?: () => Date;
}

interface Timing {
  count: number;
  sum: number;
  min: number;
  max: number;
}

export class MetricsPublisher {
  private counters = new Map<string, Map<WorkerCounter, number>>();
  private timings = new Map<string, Map<WorkerTiming, Timing>>();
  private readonly gaugeSources: Array<() => GaugeSample[]> = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private readonly namespace: string;
  private readonly now: () => Date;

  constructor(private readonly options: MetricsPublisherOptions) {
    this.namespace = options.namespace ?? METRICS_NAMESPACE;
    this.now = options.now ?? (() => new Date());
  }

  /** Adds to a counter of a carrier. */
  count(carrierId: string, name: WorkerCounter, value = 1): void {
    let byName = this.counters.get(carrierId);
    if (!byName) this.counters.set(carrierId, (byName = new Map()));
    byName.set(name, (byName.get(name) ?? 0) + value);
  }

  /** Records one timing (milliseconds) of a carrier. */
  observe(carrierId: string, name: WorkerTiming, ms: number): void {
    if (!Number.isFinite(ms)) return;
    const value = Math.max(0, ms);
    let byName = this.timings.get(carrierId);
    if (!byName) this.timings.set(carrierId, (byName = new Map()));
    const t = byName.get(name);
    if (!t) byName.set(name, { count: 1, sum: value, min: value, max: value });
    else {
      t.count++;
      t.sum += value;
      t.min = Math.min(t.min, value);
      t.max = Math.max(t.max, value);
    }
  }

  /** A source of gauges, sampled at every flush (bind counts, window use). */
  addGauges(source: () => GaugeSample[]): void {
    this.gaugeSources.push(source);
  }

  start(): void {
    if (this.timer) return;
    const interval = this.options.intervalMs ?? WORKER_METRICS_INTERVAL_MS;
    this.timer = setInterval(() => void this.flush(), interval);
    this.timer.unref();
  }

  /** Stops the timer and sends what is left. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  /** Sends everything collected since the last flush, in calls of at most MAX_DATA_PER_CALL data. Never rejects. */
  flush(): Promise<void> {
    // One flush at a time, so a slow call cannot reorder or interleave with the next.
    this.flushing = this.flushing.then(() => this.send(this.take()));
    return this.flushing;
  }

  /** Takes the current aggregates as metric data and starts new ones. */
  private take(): MetricDatum[] {
    const timestamp = this.now();
    const dims = (carrierId: string) => [{ Name: MetricDimension.Carrier, Value: carrierId }];
    const data: MetricDatum[] = [];
    for (const [carrierId, byName] of this.counters) {
      for (const [name, value] of byName) data.push({ MetricName: name, Dimensions: dims(carrierId), Unit: 'Count', Value: value, Timestamp: timestamp });
      this.options.onCounts?.(carrierId, Object.fromEntries(byName));
    }
    for (const [carrierId, byName] of this.timings) {
      for (const [name, t] of byName) {
        data.push({ MetricName: name, Dimensions: dims(carrierId), Unit: 'Milliseconds', StatisticValues: { SampleCount: t.count, Sum: t.sum, Minimum: t.min, Maximum: t.max }, Timestamp: timestamp });
      }
    }
    for (const source of this.gaugeSources) {
      for (const g of source()) data.push({ MetricName: g.name, Dimensions: dims(g.carrierId), Unit: 'Count', Value: g.value, Timestamp: timestamp });
    }
    this.counters = new Map();
    this.timings = new Map();
    return data;
  }

  private async send(data: MetricDatum[]): Promise<void> {
    for (let i = 0; i < data.length; i += MAX_DATA_PER_CALL) {
      try {
        await this.options.client.send(new PutMetricDataCommand({ Namespace: this.namespace, MetricData: data.slice(i, i + MAX_DATA_PER_CALL) }));
      } catch (err) {
        this.options.onError?.(err as Error);
      }
    }
  }
}
