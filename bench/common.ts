/**
 * Shared bits of the benchmark: child processes with IPC (run through tsx), CPU
 * time of another process from /proc, and small statistics helpers.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CreateTableCommand, DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

export const REPO_ROOT = resolve(__dirname, '..');
const CLOCK_TICKS = 100; // USER_HZ on Linux

/**
 * Forks a TypeScript module under tsx with an IPC channel; stdout is dropped unless `inherit`.
 * BENCH_CPU_PROF=<dir> profiles every child (node --cpu-prof): `npx tsx bench/profile.ts <dir>` sums it up.
 */
export function forkTs(file: string, args: string[], env: NodeJS.ProcessEnv = {}, inherit = false): ChildProcess {
  const profile = process.env.BENCH_CPU_PROF;
  return fork(resolve(__dirname, file), args, {
    execArgv: ['--import', 'tsx', ...(profile ? ['--cpu-prof', '--cpu-prof-dir', resolve(profile)] : [])],
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', inherit ? 'inherit' : 'ignore', 'inherit', 'ipc'],
  });
}

/** Resolves with the first IPC message of `type` (rejects when the child exits first or after timeoutMs). */
export function nextMessage<T extends { type: string }>(child: ChildProcess, type: string, timeoutMs = 600_000): Promise<T> {
  return new Promise<T>((res, rej) => {
    const onMessage = (m: unknown): void => {
      if (typeof m === 'object' && m !== null && (m as { type?: unknown }).type === type) {
        cleanup();
        res(m as T);
      } else if (typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'error') {
        cleanup();
        rej(new Error(String((m as { message?: unknown }).message)));
      }
    };
    const onExit = (code: number | null): void => {
      cleanup();
      rej(new Error(`child exited (${code}) before '${type}'`));
    };
    const timer = setTimeout(() => {
      cleanup();
      rej(new Error(`no '${type}' from child within ${timeoutMs} ms`));
    }, timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

/** Ask a child something over IPC and wait for the answer of `type`. */
export async function ask<T extends { type: string }>(child: ChildProcess, request: Record<string, unknown>, type: string, timeoutMs = 30_000): Promise<T> {
  const answer = nextMessage<T>(child, type, timeoutMs);
  child.send(request);
  return answer;
}

export async function stopChild(child: ChildProcess, timeoutMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(timer);
}

/** User + system CPU seconds of a process, from /proc/<pid>/stat (Linux). */
export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the ")" that closes the command name: state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Result of one throughput run, the same shape for every client measured. */
export interface ThroughputResult {
  messages: number;
  wallSeconds: number;
  messagesPerSecond: number;
  cpuSeconds: number;
  /** CPU time per message in microseconds. */
  cpuMicrosPerMessage: number;
  /** Store or AWS requests by name (worker runs only). */
  calls?: Record<string, number>;
  /**
   * Items written, by kind (worker runs only): `message` (a change of the message item, priced at its
   * size), `mapping` (an SMSC-id mapping item, 1 WRU), `other` (heartbeats, timers). What WRU count.
   */
  writes?: Record<string, number>;
  /** The largest message item the run left, in bytes (DynamoDB's item size), when the run can see it. */
  messageItemBytes?: number;
  /** Bytes of JSON log lines written per message (worker runs only). */
  logBytesPerMessage?: number;
  notes?: string[];
}

export function throughput(messages: number, wallSeconds: number, cpuSeconds: number, extra: Partial<ThroughputResult> = {}): ThroughputResult {
  return {
    messages,
    wallSeconds: round(wallSeconds, 3),
    messagesPerSecond: round(messages / wallSeconds, 1),
    cpuSeconds: round(cpuSeconds, 3),
    cpuMicrosPerMessage: round((cpuSeconds / messages) * 1e6, 1),
    ...extra,
  };
}

export function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** A table with the message table's keys (string pk and sk), on demand, made if it is not there. */
export async function ensureTable(client: DynamoDBClient, name: string): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: name }));
    return;
  } catch (err) {
    if ((err as Error).name !== 'ResourceNotFoundException') throw err;
  }
  await client.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }],
    }),
  );
}
