/**
 * Runs one of the pinned Python tools (scripts/python-tools.ts) from a test,
 * installing it into .local/venv first when it is missing. Nothing reaches the
 * test's stdout: the tool's output comes back for an assertion's message.
 */
import { spawnSync } from 'node:child_process';
import { pythonTool, REPO_ROOT, type PythonToolName } from '../../scripts/python-tools';

/** Long enough for a first install from the registry on a fresh clone. */
export const INSTALL_TIMEOUT_MS = 300_000;

export interface ToolRun {
  /** Exit status (null when the process was killed). */
  readonly status: number | null;
  /** stdout and stderr together, as the tool printed them. */
  readonly output: string;
}

export function runPythonTool(name: PythonToolName, args: readonly string[]): ToolRun {
  const res = spawnSync(pythonTool(name), args, { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { status: res.status, output: `${res.stdout ?? ''}${res.stderr ?? ''}${res.error ? String(res.error) : ''}` };
}
