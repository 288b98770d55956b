/**
 * Lambda metrics in the embedded metric format (EMF): counts are collected during an
 * invocation and written as EMF log lines on stdout when it ends (`withMetrics`), one
 * line per dimension set. CloudWatch extracts them from the function's log group; no
 * PutMetricData call, no extra latency. Written here in a few lines rather than with
 * Powertools Metrics, for the api bundle's size (docs/design.md); the unit tests switch
 * them off with POWERTOOLS_METRICS_DISABLED=true, the variable Powertools reads.
 *
 * @example
 * const metrics = createMetrics('router');
 * export const handler = withMetrics(metrics, async (event: SQSEvent, context: Context) => {
 *   metrics.count(LambdaMetric.MessagesRouted, 1, { Carrier: 'sim-a' });
 *   return processPartialResponse(event, routeRecord, processor, { context });
 * });
 */
import { METRICS_NAMESPACE, type MetricDimension } from './metric-names';

export { LambdaMetric, METRICS_NAMESPACE, MetricDimension } from './metric-names';

export type MetricDimensions = Partial<Record<MetricDimension, string>>;

/** Counters of one invocation, grouped by dimension set. */
export class GatewayMetrics {
  private readonly pending = new Map<string, { dimensions: MetricDimensions; counts: Map<string, number> }>();

  constructor(
    private readonly namespace: string,
    private readonly disabled: boolean,
  ) {}

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
      if (this.disabled) return;
      const timestamp = Date.now();
      for (const { dimensions, counts } of this.pending.values()) {
        const names = [...counts.keys()];
        // EMF takes at most 100 metrics in one directive.
        for (let i = 0; i < names.length; i += 100) {
          const chunk = names.slice(i, i + 100);
          const line = {
            _aws: {
              Timestamp: timestamp,
              // A metric without dimensions is an empty dimension set ("Dimensions": [[]]), as the EMF libraries write it.
              CloudWatchMetrics: [{ Namespace: this.namespace, Dimensions: [Object.keys(dimensions)], Metrics: chunk.map((Name) => ({ Name, Unit: 'Count' })) }],
            },
            ...dimensions,
            ...Object.fromEntries(chunk.map((name) => [name, counts.get(name)!])),
          };
          process.stdout.write(`${JSON.stringify(line)}\n`);
        }
      }
    } finally {
      this.pending.clear();
    }
  }
}

/**
 * Metrics of one function in the `SmsGateway` namespace. Every metric carries exactly
 * the dimensions given to count() (no `service` dimension), so alarms and the dashboard
 * can name them. `serviceName` names the function in the docs and the call sites only.
 */
export function createMetrics(_serviceName: string, env: NodeJS.ProcessEnv = process.env): GatewayMetrics {
  return new GatewayMetrics(METRICS_NAMESPACE, env.POWERTOOLS_METRICS_DISABLED?.toLowerCase() === 'true');
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
