/**
 * Runs a body of work with the emulator and leaves the machine as it found it: a MiniStack
 * this process started is stopped on every way out — the body resolving, the body throwing,
 * Ctrl-C or SIGTERM — and an emulator someone else runs is never touched. This is needed
 * because MiniStack runs detached, in its own process group: Ctrl-C reaches the bench but
 * not MiniStack, which ends only when stopped.
 *
 * The emulator is started on the body's first call of `emulator()`, not before, so work
 * that needs none (the bench's throughput runs) does not share the CPU with it.
 *
 * @example
 * await withEmulator(async (emulator) => {
 *   const { endpoint } = await emulator(); // starts MiniStack when nothing answers
 *   await measure(endpoint);
 * }); // MiniStack stopped here, or on Ctrl-C, if this process started it
 */
import { ensureEmulator, type Emulator } from './emulator';

export type StopSignal = 'SIGINT' | 'SIGTERM';

/** Shell convention: 128 + the signal's number. */
const EXIT_CODES: Readonly<Record<StopSignal, number>> = { SIGINT: 130, SIGTERM: 143 };

/** The part of `process` the helper uses (a fake in tests). */
export interface SignalTarget {
  on(signal: StopSignal, listener: () => void): unknown;
  off(signal: StopSignal, listener: () => void): unknown;
  exit(code: number): void;
}

export interface WithEmulatorOptions {
  /** Finds or starts the emulator. @default ensureEmulator */
  readonly ensure?: () => Promise<Emulator>;
  /** Where the stop signals arrive and how the process ends after one. @default process */
  readonly signals?: SignalTarget;
}

export class EmulatorStoppingError extends Error {
  constructor() {
    super('the emulator is being stopped (signal received); not starting it again');
    this.name = 'EmulatorStoppingError';
  }
}

export async function withEmulator<T>(body: (emulator: () => Promise<Emulator>) => Promise<T>, options: WithEmulatorOptions = {}): Promise<T> {
  const ensure = options.ensure ?? ensureEmulator;
  const signals = options.signals ?? process;
  let requested: Promise<Emulator> | undefined;
  let stopping = false;

  const emulator = (): Promise<Emulator> => {
    // After a signal the body may still run for a moment; a MiniStack started then would outlive it.
    if (stopping) return Promise.reject(new EmulatorStoppingError());
    requested ??= ensure();
    return requested;
  };

  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    // Also waits for a start still in progress: its MiniStack is ours as soon as it answers.
    const found = await requested?.catch(() => undefined);
    if (found?.started) found.stop();
  };

  const listeners = (Object.keys(EXIT_CODES) as StopSignal[]).map((signal) => {
    const listener = (): void => {
      // Without our listeners a second Ctrl-C ends the process at once, as usual.
      release();
      void stop().finally(() => signals.exit(EXIT_CODES[signal]));
    };
    signals.on(signal, listener);
    return { signal, listener };
  });
  const release = (): void => {
    for (const { signal, listener } of listeners) signals.off(signal, listener);
  };

  try {
    return await body(emulator);
  } finally {
    release();
    await stop();
  }
}
