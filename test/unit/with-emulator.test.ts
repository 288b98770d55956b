/**
 * withEmulator (what `npm run bench` runs in): the emulator it started is stopped on every way
 * out, one it found running is left alone. A fake emulator and a fake process stand in for
 * MiniStack and for signals: no test starts MiniStack or signals itself.
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { Emulator } from '../../scripts/emulator';
import { EmulatorStoppingError, withEmulator, type SignalTarget, type StopSignal } from '../../scripts/with-emulator';

// ---- fixtures ---------------------------------------------------------------------------

interface FakeEmulator {
  /** What withEmulator gets to find or start it. */
  ensure: () => Promise<Emulator>;
  starts: () => number;
  stops: () => number;
}

/** An emulator this process starts (`started` true) or finds running (`started` false). */
function fakeEmulator(started: boolean): FakeEmulator {
  let starts = 0;
  let stops = 0;
  return {
    ensure: async () => {
      starts++;
      return { endpoint: 'http://localhost:4566', started, stop: () => void stops++ };
    },
    starts: () => starts,
    stops: () => stops,
  };
}

class FakeProcess extends EventEmitter implements SignalTarget {
  readonly exitCodes: number[] = [];
  private readonly exitWaiters: Array<() => void> = [];

  exit(code: number): void {
    this.exitCodes.push(code);
    for (const resolve of this.exitWaiters.splice(0)) resolve();
  }

  /** Sends a signal and resolves once the helper has ended the process. */
  async signal(signal: StopSignal): Promise<void> {
    const exited = new Promise<void>((resolve) => this.exitWaiters.push(resolve));
    this.emit(signal);
    await exited;
  }

  stopListeners(): number {
    return this.listenerCount('SIGINT') + this.listenerCount('SIGTERM');
  }
}

/** A promise the test resolves when it chooses (`open`), to hold a fake at one point. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open: () => open() };
}

/** A body that asks for the emulator and then waits until `finish` is called. */
function waitingBody(): { body: (emulator: () => Promise<Emulator>) => Promise<string>; asked: Promise<void>; finish: () => void } {
  const asked = gate();
  const finished = gate();
  return {
    body: async (emulator) => {
      await emulator();
      asked.open();
      await finished.opened;
      return 'done';
    },
    asked: asked.opened,
    finish: finished.open,
  };
}

// ---- tests ------------------------------------------------------------------------------

describe('withEmulator', () => {
  it('stops the emulator it started when the body ends, and returns what the body returned', async () => {
    const emulator = fakeEmulator(true);
    const signals = new FakeProcess();

    const result = await withEmulator(async (find) => (await find()).endpoint, { ensure: emulator.ensure, signals });

    expect(result).toBe('http://localhost:4566');
    expect(emulator.stops()).toBe(1);
  });

  it('stops the emulator it started when the body throws, and passes the error on', async () => {
    const emulator = fakeEmulator(true);
    const signals = new FakeProcess();

    const run = withEmulator(
      async (find) => {
        await find();
        throw new Error('a section failed');
      },
      { ensure: emulator.ensure, signals },
    );

    await expect(run).rejects.toThrow('a section failed');
    expect(emulator.stops()).toBe(1);
  });

  it('leaves an emulator it found running alone', async () => {
    const emulator = fakeEmulator(false);
    const signals = new FakeProcess();

    await withEmulator(async (find) => void (await find()), { ensure: emulator.ensure, signals });

    expect(emulator.starts()).toBe(1);
    expect(emulator.stops()).toBe(0);
  });

  it('starts no emulator when the body never asks for one', async () => {
    const emulator = fakeEmulator(true);
    const signals = new FakeProcess();

    await withEmulator(async () => 'no emulator needed', { ensure: emulator.ensure, signals });

    expect(emulator.starts()).toBe(0);
    expect(emulator.stops()).toBe(0);
  });

  it('starts the emulator once however often the body asks', async () => {
    const emulator = fakeEmulator(true);
    const signals = new FakeProcess();

    await withEmulator(async (find) => void (await Promise.all([find(), find(), find()])), { ensure: emulator.ensure, signals });

    expect(emulator.starts()).toBe(1);
    expect(emulator.stops()).toBe(1);
  });

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('on %s stops the emulator it started and ends the process with %i', async (signal, code) => {
    const emulator = fakeEmulator(true);
    const signals = new FakeProcess();
    const { body, asked, finish } = waitingBody();
    const run = withEmulator(body, { ensure: emulator.ensure, signals });
    await asked;

    await signals.signal(signal);

    expect(emulator.stops()).toBe(1);
    expect(signals.exitCodes).toEqual([code]);
    // The helper's listeners are gone: a second Ctrl-C ends the process at once, as usual.
    expect(signals.stopListeners()).toBe(0);
    finish();
    expect(await run).toBe('done');
    expect(emulator.stops()).toBe(1);
  });

  it('on a signal leaves an emulator it found running alone, and still ends the process', async () => {
    const emulator = fakeEmulator(false);
    const signals = new FakeProcess();
    const { body, asked, finish } = waitingBody();
    const run = withEmulator(body, { ensure: emulator.ensure, signals });
    await asked;

    await signals.signal('SIGINT');

    expect(emulator.stops()).toBe(0);
    expect(signals.exitCodes).toEqual([130]);
    finish();
    await run;
  });

  it('on a signal during the start waits for the emulator to answer, then stops it', async () => {
    const emulator = fakeEmulator(true);
    const signals = new FakeProcess();
    const answers = gate();
    const slowStart = async (): Promise<Emulator> => {
      await answers.opened;
      return emulator.ensure();
    };
    const run = withEmulator(async (find) => find(), { ensure: slowStart, signals });

    const exited = signals.signal('SIGINT');
    answers.open();
    await exited;

    expect(emulator.stops()).toBe(1);
    expect(signals.exitCodes).toEqual([130]);
    await run;
  });

  it('starts no emulator for a body that asks after a signal', async () => {
    const emulator = fakeEmulator(true);
    const signals = new FakeProcess();
    const later = gate();
    const run = withEmulator(
      async (find) => {
        await later.opened;
        return find();
      },
      { ensure: emulator.ensure, signals },
    );

    await signals.signal('SIGTERM');
    later.open();

    await expect(run).rejects.toBeInstanceOf(EmulatorStoppingError);
    expect(emulator.starts()).toBe(0);
  });

  it('removes its signal listeners when the body ends', async () => {
    const signals = new FakeProcess();

    await withEmulator(async () => undefined, { ensure: fakeEmulator(true).ensure, signals });

    expect(signals.stopListeners()).toBe(0);
  });
});
