/**
 * The worker's MetricsPublisher: in-memory aggregation per carrier, batched
 * PutMetricData (at most 1000 data per call), flush on a timer and on stop.
 */
import type { PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { recordOutcome } from '../../worker/main';
import { MAX_DATA_PER_CALL, MetricsPublisher } from '../../worker/metrics';

function fakeClient(fail = false) {
  const calls: PutMetricDataCommand['input'][] = [];
  return {
    calls,
    client: {
      send: vi.fn(async (command: PutMetricDataCommand) => {
        calls.push(command.input);
        if (fail) throw Object.assign(new Error('denied'), { name: 'AccessDenied' });
        return {};
      }),
    } as never,
  };
}

const at = new Date('2026-01-01T00:00:00Z');
const data = (calls: PutMetricDataCommand['input'][]) => calls.flatMap((c) => c.MetricData ?? []);
const find = (calls: PutMetricDataCommand['input'][], name: string, carrier: string) =>
  data(calls).find((d) => d.MetricName === name && d.Dimensions?.[0]?.Value === carrier);

afterEach(() => vi.useRealTimers());

describe('MetricsPublisher', () => {
  it('sums counters and aggregates timings as statistic sets, per carrier', async () => {
    // Prepare
    const { client, calls } = fakeClient();
    const metrics = new MetricsPublisher({ client, now: () => at });

    // Act
    metrics.count('sim-a', 'Submitted');
    metrics.count('sim-a', 'Submitted');
    metrics.count('sim-b', 'Submitted', 5);
    metrics.count('sim-a', 'Throttled');
    for (const ms of [100, 300, 200]) metrics.observe('sim-a', 'SubmitLatency', ms);
    metrics.observe('sim-a', 'SubmitLatency', Number.NaN);
    await metrics.flush();

    // Assess
    expect(calls).toHaveLength(1);
    expect(calls[0]!.Namespace).toBe('SmsGateway');
    expect(find(calls, 'Submitted', 'sim-a')).toEqual({ MetricName: 'Submitted', Dimensions: [{ Name: 'Carrier', Value: 'sim-a' }], Unit: 'Count', Value: 2, Timestamp: at });
    expect(find(calls, 'Submitted', 'sim-b')!.Value).toBe(5);
    expect(find(calls, 'Throttled', 'sim-a')!.Value).toBe(1);
    expect(find(calls, 'SubmitLatency', 'sim-a')).toMatchObject({ Unit: 'Milliseconds', StatisticValues: { SampleCount: 3, Sum: 600, Minimum: 100, Maximum: 300 } });
  });

  it('hands each carrier’s counters of the interval to onCounts (the summary log line), once per flush', async () => {
    // Prepare
    const { client } = fakeClient();
    const seen: [string, Record<string, number>][] = [];
    const metrics = new MetricsPublisher({ client, onCounts: (carrierId, counts) => seen.push([carrierId, counts as Record<string, number>]) });
    metrics.count('sim-a', 'Submitted', 3);
    metrics.count('sim-a', 'Delivered', 2);
    metrics.count('sim-b', 'Retries');
    metrics.observe('sim-a', 'SubmitLatency', 100);
    // Act
    await metrics.flush();
    await metrics.flush();
    // Assess
    expect(seen).toEqual([
      ['sim-a', { Submitted: 3, Delivered: 2 }],
      ['sim-b', { Retries: 1 }],
    ]);
  });

  it('starts from zero after a flush and sends nothing when there is nothing', async () => {
    const { client, calls } = fakeClient();
    const metrics = new MetricsPublisher({ client });
    metrics.count('sim-a', 'Retries');
    await metrics.flush();
    await metrics.flush();
    expect(calls).toHaveLength(1);
  });

  it('samples gauges at every flush', async () => {
    const { client, calls } = fakeClient();
    const metrics = new MetricsPublisher({ client });
    let binds = 2;
    metrics.addGauges(() => [{ carrierId: 'sim-a', name: 'BindsUp', value: binds }]);
    await metrics.flush();
    binds = 0;
    await metrics.flush();
    expect(calls.map((c) => c.MetricData![0]!.Value)).toEqual([2, 0]);
  });

  it(`sends at most ${MAX_DATA_PER_CALL} data per PutMetricData call`, async () => {
    const { client, calls } = fakeClient();
    const metrics = new MetricsPublisher({ client });
    // 700 carriers × 3 metrics = 2100 data → 1000 + 1000 + 100.
    for (let i = 0; i < 700; i++) {
      metrics.count(`c${i}`, 'Submitted');
      metrics.count(`c${i}`, 'Delivered');
      metrics.observe(`c${i}`, 'ReceiptLatency', 5);
    }
    await metrics.flush();
    expect(calls.map((c) => c.MetricData!.length)).toEqual([1000, 1000, 100]);
  });

  it('flushes every interval and once more on stop', async () => {
    vi.useFakeTimers();
    const { client, calls } = fakeClient();
    const metrics = new MetricsPublisher({ client, intervalMs: 10_000 });
    metrics.start();
    metrics.count('sim-a', 'Submitted');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls).toHaveLength(1);

    metrics.count('sim-a', 'Failed');
    await metrics.stop();
    expect(calls).toHaveLength(2);
    expect(calls[1]!.MetricData![0]!.MetricName).toBe('Failed');

    metrics.count('sim-a', 'Submitted');
    await vi.advanceTimersByTimeAsync(30_000);
    expect(calls).toHaveLength(2); // stopped: no timer any more
  });

  it('reports a failed call and drops its data (best effort, no backlog)', async () => {
    const { client, calls } = fakeClient(true);
    const errors: string[] = [];
    const metrics = new MetricsPublisher({ client, onError: (e) => errors.push(e.name) });
    metrics.count('sim-a', 'Submitted');
    await expect(metrics.flush()).resolves.toBeUndefined();
    await metrics.flush();
    expect(errors).toEqual(['AccessDenied']);
    expect(calls).toHaveLength(1);
  });
});

describe('recordOutcome (worker hook)', () => {
  it('counts outcomes per carrier and times acceptance → submit_sm_resp', () => {
    const metrics = { count: vi.fn(), observe: vi.fn() };
    const accepted = new Date(1_000);
    recordOutcome(metrics, 'sim-a', 'submitted', accepted, 1_750);
    recordOutcome(metrics, 'sim-a', 'failed', accepted);
    recordOutcome(metrics, 'sim-a', 'retry', accepted);
    recordOutcome(metrics, 'sim-a', 'throttled', accepted);
    recordOutcome(metrics, 'sim-a', 'skipped', undefined);
    expect(metrics.count.mock.calls).toEqual([
      ['sim-a', 'Submitted'],
      ['sim-a', 'Failed'],
      ['sim-a', 'Retries'],
    ]);
    expect(metrics.observe.mock.calls).toEqual([['sim-a', 'SubmitLatency', 750]]);
  });
});
