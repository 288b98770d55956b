/**
 * Lambda metrics in the embedded metric format (Powertools Metrics): counts are
 * collected during an invocation and written as EMF log lines when it ends
 * (`withMetrics`), one line per dimension set. CloudWatch extracts them from the
 * function's log group; no PutMetricData call, no extra latency.
 *
 * @example
 * const metrics = createMetrics('router');
 * export const handler = withMetrics(metrics, async (event: SQSEvent, context: Context) => {
 *   metrics.count(LambdaMetric.MessagesRouted, 1, { Carrier: 'sim-a' });
 *   return processPartialResponse(event, routeRecord, processor, { context });
 * });
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRICS_NAMESPACE, type MetricDimension } from './metric-names';

export { LambdaMetric, METRICS_NAMESPACE, MetricDimension } from './metric-names';

export type MetricDimensions = Partial<Record<MetricDimension, string>>;

/** Counters of one invocation, grouped by dimension set. */
export class GatewayMetrics {
  private readonly pending = new Map<string, { dimensions: MetricDimensions; counts: Map<string, number> }>();

  constructor(private readonly emf: Metrics) {}

  /** Adds `value` to the named count under these dimensions (none: the metric has no dimension). */
  count(name: string, value = 1, dimensions: MetricDimensions = {}): void {
    const entries = Object.entries(dimensions).filter(([, v]) => typeof v === 'string' && v.length > 0) as [string, string][];
    const key = JSON.stringify(entries.sort(([a], [b]) => a.localeCompare(b)));
    let group = this.pending.get(key);
    if (!group) {
      group = { dimensions: Object.fromEntries(entries) as MetricDimensions, counts: new Map() };
      this.pending.set(key, group);
    }
    group.counts.set(name, (group.counts.get(name) ?? 0) + value);
  }

  /** Writes the collected counts (one EMF line per dimension set) and forgets them. Nothing to write: no line. */
  publish(): void {
    try {
      for (const { dimensions, counts } of this.pending.values()) {
        // A metric without dimensions is an empty dimension set ("Dimensions": [[]]), as the EMF libraries write it.
        if (Object.keys(dimensions).length === 0) this.emf.addDimensions({});
        for (const [name, value] of Object.entries(dimensions)) this.emf.addDimension(name, value as string);
        for (const [name, value] of counts) this.emf.addMetric(name, MetricUnit.Count, value);
        this.emf.publishStoredMetrics();
      }
    } finally {
      this.pending.clear();
    }
  }
}

/**
 * Metrics of one function in the `SmsGateway` namespace. Powertools' default
 * `service` dimension is removed: every metric carries exactly the dimensions
 * given to count(), so alarms and the dashboard can name them.
 */
export function createMetrics(serviceName: string): GatewayMetrics {
  const emf = new Metrics({ namespace: METRICS_NAMESPACE, serviceName });
  emf.clearDefaultDimensions();
  return new GatewayMetrics(emf);
}

/**
 * Wraps a handler so the invocation's metrics are written when it ends, whether
 * it returned or threw (a warm container must not carry counts into the next one).
 */
export function withMetrics<A extends unknown[], R>(metrics: GatewayMetrics, handler: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args) => {
    try {
      return await handler(...args);
    } finally {
      metrics.publish();
    }
  };
}
