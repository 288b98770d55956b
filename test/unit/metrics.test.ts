/**
 * Lambda metrics (core/util/metrics.ts): EMF lines per dimension set, written
 * once per invocation, without Powertools' default service dimension.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

// The unit project turns Powertools metrics off (vitest.config.mts); this file reads what they write.
vi.hoisted(() => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
});

import { createMetrics, LambdaMetric, withMetrics } from '../../core/util/metrics';

let lines: string[];

beforeEach(() => {
  lines = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
});
afterEach(() => vi.restoreAllMocks());

function emf(): Array<Record<string, any>> {
  return lines.flatMap((l) => l.split('\n')).filter((l) => l.includes('"_aws"')).map((l) => JSON.parse(l));
}

describe('createMetrics', () => {
  it('writes one EMF line per dimension set in the SmsGateway namespace, counts summed', async () => {
    // Prepare
    const metrics = createMetrics('router');
    const handler = withMetrics(metrics, async (carriers: string[]) => {
      for (const c of carriers) metrics.count(LambdaMetric.MessagesRouted, 1, { Carrier: c });
      metrics.count(LambdaMetric.MessagesRejected, 1, { Reason: 'no_route' });
      return carriers.length;
    });

    // Act
    const result = await handler(['sim-a', 'sim-b', 'sim-a']);

    // Assess
    expect(result).toBe(3);
    const out = emf();
    expect(out).toHaveLength(3);
    for (const line of out) {
      expect(line._aws.CloudWatchMetrics[0].Namespace).toBe('SmsGateway');
      expect(line.service).toBeUndefined();
      expect(line._aws.CloudWatchMetrics[0].Dimensions[0]).not.toContain('service');
    }
    const simA = out.find((l) => l.Carrier === 'sim-a')!;
    expect(simA.MessagesRouted).toBe(2);
    expect(simA._aws.CloudWatchMetrics[0].Dimensions).toEqual([['Carrier']]);
    expect(out.find((l) => l.Carrier === 'sim-b')!.MessagesRouted).toBe(1);
    expect(out.find((l) => l.Reason === 'no_route')!.MessagesRejected).toBe(1);
  });

  it('writes metrics without a dimension together, and nothing when nothing was counted', async () => {
    const metrics = createMetrics('api');
    const handler = withMetrics(metrics, async (n: number) => {
      for (let i = 0; i < n; i++) {
        metrics.count(LambdaMetric.MessagesAccepted);
        metrics.count(LambdaMetric.SegmentsAccepted, 3);
      }
    });

    await handler(0);
    expect(emf()).toHaveLength(0);

    await handler(2);
    const [line] = emf();
    expect(line).toMatchObject({ MessagesAccepted: 2, SegmentsAccepted: 6 });
    expect(line!._aws.CloudWatchMetrics[0].Dimensions).toEqual([[]]);
  });

  it('writes nothing with POWERTOOLS_METRICS_DISABLED=true (the unit tests’ setting)', async () => {
    const metrics = createMetrics('api', { POWERTOOLS_METRICS_DISABLED: 'true' });
    await withMetrics(metrics, async () => metrics.count(LambdaMetric.MessagesAccepted))();
    expect(emf()).toHaveLength(0);
  });

  it('publishes after a failed invocation too, and never carries counts into the next one', async () => {
    const metrics = createMetrics('router');
    const failing = withMetrics(metrics, async () => {
      metrics.count(LambdaMetric.MessagesRouted, 1, { Carrier: 'sim-a' });
      throw new Error('boom');
    });

    await expect(failing()).rejects.toThrow('boom');
    expect(emf()).toHaveLength(1);

    lines = [];
    await withMetrics(metrics, async () => undefined)();
    expect(emf()).toHaveLength(0);
  });
});
