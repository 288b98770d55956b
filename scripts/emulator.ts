/**
 * The LocalStack-compatible emulator for local runs and tests: the endpoint in
 * AWS_ENDPOINT_URL when set, else localhost:4566. When nothing answers there,
 * MiniStack (pinned, installed with pip into .local/venv) is started on that
 * endpoint's port — so `AWS_ENDPOINT_URL=http://localhost:4577 npm test` runs on
 * an emulator of its own beside one on 4566 — unless the endpoint is not this
 * machine's (then it is an error: start that emulator).
 */
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { join } from 'node:path';
import { LOCAL_DIR, PYTHON_TOOLS, pythonTool, REPO_ROOT } from './python-tools';

export { LOCAL_DIR, REPO_ROOT };
export const MINISTACK_VERSION = PYTHON_TOOLS.ministack.version;
export const DEFAULT_ENDPOINT = 'http://localhost:4566';

/** Credentials and endpoint variables every local command (CDK, SDK, worker) uses. */
export function localAwsEnv(endpoint: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: endpoint,
    // cdklocal needs the S3 endpoint too when LocalStack DNS names do not resolve.
    AWS_ENDPOINT_URL_S3: endpoint,
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'test',
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'test',
    AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
    AWS_DEFAULT_REGION: process.env.AWS_REGION ?? 'us-east-1',
    CDK_DEFAULT_ACCOUNT: '000000000000',
    CDK_DEFAULT_REGION: process.env.AWS_REGION ?? 'us-east-1',
  };
}

/**
 * The emulator's endpoint, and the port to start MiniStack on when nothing answers there:
 * AWS_ENDPOINT_URL's (a plain-http URL of this machine with a port), or 4566 without the
 * variable; undefined for any other endpoint, which the caller must have started.
 *
 * @example emulatorTarget('http://localhost:4577') // → { endpoint: 'http://localhost:4577', startPort: '4577' }
 */
export function emulatorTarget(explicit: string | undefined): { endpoint: string; startPort: string | undefined } {
  if (explicit === undefined) return { endpoint: DEFAULT_ENDPOINT, startPort: new URL(DEFAULT_ENDPOINT).port };
  const endpoint = explicit.replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return { endpoint, startPort: undefined };
  }
  const here = url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname) && url.pathname === '/' && url.port !== '';
  return { endpoint, startPort: here ? url.port : undefined };
}

export async function isUp(endpoint: string): Promise<boolean> {
  for (const path of ['/_ministack/health', '/_localstack/health']) {
    try {
      const res = await fetch(`${endpoint}${path}`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return true;
    } catch {
      // not answering on this path
    }
  }
  return false;
}

export function installMinistack(say: (line: string) => void = console.log): string {
  return pythonTool('ministack', (t) => say(`installing MiniStack ${t.version} into .local/venv`));
}

export interface Emulator {
  endpoint: string;
  /** True when this process started it (and should stop it). */
  started: boolean;
  stop(): void;
}

export interface EmulatorOptions {
  /** Say nothing (the test setup); failures still throw with what went wrong. @default false */
  quiet?: boolean;
}

/** Returns a running emulator, starting MiniStack when none answers. */
export async function ensureEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const say = options.quiet ? () => undefined : (line: string) => console.log(line);
  const explicit = process.env.AWS_ENDPOINT_URL;
  const { endpoint, startPort } = emulatorTarget(explicit);
  if (await isUp(endpoint)) return { endpoint, started: false, stop: () => undefined };
  if (startPort === undefined) throw new Error(`AWS_ENDPOINT_URL=${explicit} does not answer; start your emulator or unset the variable`);

  const bin = installMinistack(say);
  const log = openSync(join(LOCAL_DIR, 'ministack.log'), 'a');
  const child = spawn(bin, [], {
    detached: true,
    stdio: ['ignore', log, log],
    env: {
      ...process.env,
      // No NODE_PATH: the gateway's bundles carry their own AWS SDK (lib/constructs/lambda-bundle.ts),
      // so MiniStack's stand-in for a missing @aws-sdk module never loads.
      // MiniStack's port (and the endpoint it gives the Lambdas it runs): the one asked for.
      GATEWAY_PORT: startPort,
    },
  });
  child.unref();
  // Detached, so it leads its own process group: signalling the group ends whatever MiniStack started too.
  const kill = (): void => {
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      // already gone
    }
  };
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (await isUp(endpoint)) {
      say(`MiniStack ${MINISTACK_VERSION} started on ${endpoint} (pid ${child.pid}, log .local/ministack.log)`);
      return {
        endpoint,
        started: true,
        stop: () => {
          kill();
          say(`MiniStack stopped (pid ${child.pid})`);
        },
      };
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  // Started but never healthy: nobody else would stop it.
  kill();
  throw new Error('MiniStack did not become healthy within 60 s; see .local/ministack.log');
}

if (require.main === module) {
  const [command] = process.argv.slice(2);
  if (command === 'install') {
    console.log(`MiniStack ${MINISTACK_VERSION}: ${installMinistack()}`);
  } else if (command === 'start') {
    ensureEmulator()
      .then((e) => console.log(`emulator on ${e.endpoint}${e.started ? ' (started)' : ' (already running)'}`))
      .catch((err: unknown) => {
        console.error((err as Error).message);
        process.exit(1);
      });
  } else {
    console.error('usage: tsx scripts/emulator.ts install|start');
    process.exit(2);
  }
}
