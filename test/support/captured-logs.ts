/**
 * What an in-process Lambda handler logs, for the tests that read it: Powertools
 * writes one JSON line per entry to stdout (stderr for warnings and errors); both
 * are kept here instead of reaching the test output. The spies go with
 * vi.restoreAllMocks().
 */
import { vi } from 'vitest';

export interface LogLine {
  level: string;
  message: string;
  [key: string]: unknown;
}

/** From now on, what is written to stdout and stderr is kept; the function returns the JSON lines so far. */
export function captureLogs(): () => LogLine[] {
  const written: string[] = [];
  for (const stream of [process.stdout, process.stderr]) vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => (written.push(String(chunk)), true));
  return () =>
    written
      .join('')
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as LogLine);
}
