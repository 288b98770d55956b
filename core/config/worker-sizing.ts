/**
 * What one SMPP worker task can carry, and the synth warning when the configured carriers
 * may ask it for more. README#operations states the figure; docs/design.md#sizing-the-worker
 * says why it is this one.
 */
import type { GatewayConfig } from './schema';

/**
 * Messages (single-segment, with their receipts) one vCPU of the worker carries with its
 * real AWS SDK store: 1,000,000 µs / 2,383 µs CPU per message, the "worker on emulator (real
 * AWS SDK adapters)" row of `npm run bench` on 2026-12-01 (14:01 UTC, commit c97477e with the batched
 * delivery path: 10,000 messages at 173 msg/s, 2.4 ms CPU/msg; it was 104, 9.6 ms, before; a run at
 * 13:22 on a quieter machine measured 2.1 ms, 474). Not the in-memory row (403 µs/msg): a
 * deployed task reaches DynamoDB and SQS through the SDK,
 * and that, not SMPP, is where most of its CPU goes.
 *
 * The bench prints the figure its own run derives next to this one; when they part, put the new
 * row's figure and date here.
 */
export const WORKER_MESSAGES_PER_SECOND_PER_VCPU = 420;

/** Fargate CPU units in one vCPU. */
const CPU_UNITS_PER_VCPU = 1024;

/**
 * The worker is one Node.js process whose JavaScript (SMPP coding, the SDK's signing and
 * parsing) runs on one thread: CPU past one vCPU goes to little more than the garbage collector.
 */
const USABLE_CPU_UNITS = CPU_UNITS_PER_VCPU;

/** Messages per second per vCPU for a measured CPU time per message (what the bench prints). */
export function messagesPerSecondPerVcpu(cpuMicrosPerMessage: number): number {
  return Math.round(1e6 / cpuMicrosPerMessage);
}

/** Messages (segments) per second one worker task of `cpu` units carries. */
export function workerTaskCapacity(cpu: number): number {
  return (WORKER_MESSAGES_PER_SECOND_PER_VCPU * Math.min(cpu, USABLE_CPU_UNITS)) / CPU_UNITS_PER_VCPU;
}

const format = (n: number): string => String(Math.round(n * 10) / 10);

/** Fargate task sizes up to one vCPU, each with the least memory Fargate pairs it with. */
const TASK_SIZES = [
  { cpu: 256, memoryMiB: 512 },
  { cpu: 512, memoryMiB: 1024 },
  { cpu: 1024, memoryMiB: 2048 },
];

/**
 * A warning when the carriers' TPS, added up, exceed what one worker task carries. Counted in
 * segments: `carriers[].tps` limits segments, and the figure is one per single-segment message,
 * while a long message's later segments skip its per-message reads and writes, so the count
 * errs on the safe side.
 *
 * Per task, whatever `worker.desiredCount` is. Tasks share each carrier's binds through bind
 * leases, and a task's limiter admits the TPS shares of the slots it holds. The leases are spread
 * over the live tasks, but a carrier of one bind has one holder, and while the other tasks are
 * being replaced or are gone one task holds every bind of every carrier and is handed the whole
 * rate. More tasks add standbys, not capacity: only a larger task does.
 *
 * No warning where no task runs: `desiredCount: 0`, and local deploys (the worker runs as a
 * local process there, not as a Fargate task of `worker.cpu`).
 */
export function workerSizingWarnings(config: GatewayConfig, { local = false }: { local?: boolean } = {}): string[] {
  const { cpu, desiredCount } = config.worker;
  if (local || desiredCount === 0 || config.carriers.length === 0) return [];
  const demand = config.carriers.reduce((sum, c) => sum + c.tps, 0);
  const capacity = workerTaskCapacity(cpu);
  if (demand <= capacity) return [];
  const perCarrier = config.carriers.map((c) => `${c.id} ${format(c.tps)}`).join(', ');
  const fits = TASK_SIZES.find((size) => size.cpu > cpu && demand <= workerTaskCapacity(size.cpu));
  const remedy = fits
    ? `raise worker.cpu to ${fits.cpu} (with worker.memoryMiB ${fits.memoryMiB} or more) or lower carriers[].tps`
    : `no task size carries that today (vCPUs past one add little to one Node.js process): lower carriers[].tps`;
  return [
    `worker: carriers[].tps add up to ${format(demand)} segments per second (${perCarrier}), more than one worker task carries at worker.cpu ${cpu}: ` +
      `about ${format(capacity)} per second (${WORKER_MESSAGES_PER_SECOND_PER_VCPU} messages per second per vCPU, measured by npm run bench with the AWS SDK store). ` +
      `Tasks share the binds through leases, and one task may hold every bind of every carrier (the others standing by, or gone), so one task must carry the sum whatever worker.desiredCount is. ` +
      `A task short of CPU answers its SMSCs late and lets the carrier queues back up: ${remedy}.`,
  ];
}
