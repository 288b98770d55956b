/**
 * What a command gets from its process: the output streams, the environment,
 * fetch, and word of Ctrl-C. Tests pass their own.
 */

export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  fetch: typeof fetch;
  /** Resolves when the user asks to stop (Ctrl-C); tail and send --wait end then. */
  interrupted: Promise<void>;
}

/** Waits `ms`, or less when interrupted. The timer is not unref'd: it is what keeps the process alive while waiting. */
export function sleep(ms: number, interrupted: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([new Promise<void>((r) => (timer = setTimeout(r, ms))), interrupted]).finally(() => clearTimeout(timer));
}
