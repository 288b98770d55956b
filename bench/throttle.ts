/**
 * Throttle precision: CarrierConnection driven directly (no queue, no store) against the
 * SmscSimulator in its own process (so its event loop does not delay ours) enforcing the same TPS, with more submits offered than the
 * limit allows for the whole run. What the simulator saw per wall-clock second, and how many
 * submit_sm it answered ESME_RTHROTTLED.
 */
import { loadGatewayConfig } from '../core/config/load';
import { buildSubmitPdus } from '../core/domain/submit-pdus';
import { CarrierConnection } from '../worker/smpp/carrier-connection';
import { ask, forkTs, nextMessage, round, stopChild } from './common';

export interface ThrottleResult {
  tps: number;
  seconds: number;
  /** Full seconds only (the first and last, partial, are left out). */
  meanPerSecond: number;
  maxPerSecond: number;
  minPerSecond: number;
  /** Mean as a fraction of the limit. */
  meanOfLimit: number;
  throttled: number;
  perSecond: number[];
}

export async function runThrottle(tps: number, seconds: number): Promise<ThrottleResult> {
  const sim = forkTs('sim-child.ts', [JSON.stringify({ systemId: 'gw', password: 'secret', tps, receiptDelayMs: -1 })]);
  const { port } = await nextMessage<{ type: 'ready'; port: number }>(sim, 'ready');
  const carrier = { ...loadGatewayConfig().carriers[0]!, id: 'throttle', host: '127.0.0.1', port, systemId: 'gw', binds: 1, bindMode: 'transceiver' as const, window: 100, tps };
  const connection = new CarrierConnection({ carrier, password: 'secret', log: () => undefined, onDeliver: async () => undefined });
  connection.start();
  if (!(await connection.whenReady(10_000))) throw new Error('throttle: no bind');
  const pdus = buildSubmitPdus({ to: '+447400123456', from: 'Bench', text: 'Throttle test', encoding: 'GSM7', validUntil: new Date(Date.now() + 3_600_000).toISOString(), concatReference: 1 }, carrier.splitMode);
  const startedAt = Date.now();
  const deadline = startedAt + seconds * 1000;
  // Offer twice the limit in flight at all times, so the limiter, not the offer, sets the pace.
  const offer = Math.max(20, tps * 2);
  await Promise.all(
    Array.from({ length: offer }, async () => {
      while (Date.now() < deadline) await connection.submit(pdus);
    }),
  );
  await connection.stop(2000);
  const seen = await ask<{ type: 'perSecond'; first: number; counts: number[]; throttled: number }>(sim, { cmd: 'perSecond' }, 'perSecond');
  await stopChild(sim);
  const perSecond = seen.counts;
  const throttled = seen.throttled;
  // Full seconds while the offer lasted: not the first (partial) one, nor the drain after the deadline.
  const lastFull = Math.floor(deadline / 1000) - 1;
  const full = perSecond.filter((_, i) => seen.first + i > Math.floor(startedAt / 1000) && seen.first + i <= lastFull);
  const mean = full.reduce((a, b) => a + b, 0) / Math.max(1, full.length);
  return {
    tps,
    seconds,
    meanPerSecond: round(mean, 1),
    maxPerSecond: Math.max(...full),
    minPerSecond: Math.min(...full),
    meanOfLimit: round(mean / tps, 4),
    throttled,
    perSecond,
  };
}
