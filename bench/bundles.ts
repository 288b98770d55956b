/**
 * Lambda packages, in two variants: each lambdas/<name>/index.ts bundled with esbuild with the
 * options lib/constructs/gateway-function.ts gives NodejsFunction (lib/constructs/lambda-bundle.ts:
 * minify, platform node, target node20, format cjs, mainFields module,main, libphonenumber's ES2015+
 * build, the runtime config from config/local.yaml and the numbering plans of its routes defined as
 * constants), once with the AWS SDK bundled and once with `@aws-sdk/*` left out for the Lambda
 * runtime to provide; the api once more with a default route added, which carries the whole
 * numbering-plan metadata. For each, the bundle's size, its heaviest parts (esbuild's metafile) and
 * its module initialisation time: `node -e` requiring it in a fresh process, median of `runs`.
 *
 * The runtime-SDK variant resolves `@aws-sdk/*` from node_modules (NODE_PATH), standing in for the
 * runtime's copy; the bundled variant runs with no NODE_PATH from a temporary directory, so it
 * fails to start if it still needs anything outside its one file. Only module load is timed: both
 * variants load the credential chain on their first request, which is not measured.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { loadGatewayConfig } from '../core/config/load';
import { toRuntimeConfig, type RuntimeConfig } from '../core/config/runtime';
import { esbuildOptions, LAMBDA_SDK, lambdaBundleOptions, type SdkSource } from '../lib/constructs/lambda-bundle';
import { median, REPO_ROOT, round } from './common';

/** One build of one function. */
export interface BundleBuild {
  /** The bundle on disk (a temporary directory). */
  path: string;
  bytes: number;
  kb: number;
  /** Its heaviest parts, from esbuild's metafile: npm packages, and the gateway's own folders (core/domain, …). */
  parts: { name: string; kb: number }[];
  initMs: number | null;
  initRunsMs: number[];
  error?: string;
}

export interface BundleResult {
  name: string;
  /** Where the deployed function takes the SDK from (lib/constructs/lambda-bundle.ts). */
  deployed: SdkSource;
  /** The same function built both ways. */
  sdk: Record<SdkSource, BundleBuild>;
}

/** What a bundle may resolve outside its own file when it starts. */
const INIT_ENV: Readonly<Record<SdkSource, Record<string, string>>> = {
  bundled: {},
  // node_modules standing in for the runtime's copy of the SDK (/var/runtime/node_modules).
  runtime: { NODE_PATH: join(REPO_ROOT, 'node_modules') },
};

/** Environment a function reads at module load (the values do not matter: nothing is called). */
const LAMBDA_ENV: Record<string, string> = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  TABLE_NAME: 'bench',
  API_URL: 'https://api.example.com/live',
  INGEST_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/ingest.fifo',
  STATUS_TOPIC_ARN: 'arn:aws:sns:us-east-1:000000000000:status.fifo',
  INBOUND_TOPIC_ARN: 'arn:aws:sns:us-east-1:000000000000:inbound',
  CARRIER_QUEUE_URLS: JSON.stringify({ 'sim-a': 'https://sqs.us-east-1.amazonaws.com/000000000000/a.fifo', 'sim-b': 'https://sqs.us-east-1.amazonaws.com/000000000000/b.fifo' }),
  WEBHOOK_SECRET_ARNS: JSON.stringify({ acme: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:acme' }),
  WEBHOOK_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/webhooks.fifo',
  WEBHOOK_DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/webhooks-dlq.fifo',
};

/** The environment a bundle starts in: what the functions read at load, and where the runtime variant finds the SDK. */
export function lambdaEnv(sdk: SdkSource): Record<string, string> {
  return { ...LAMBDA_ENV, ...INIT_ENV[sdk] };
}

/**
 * The name of the extra api build whose routes reach every country calling code (config/local.yaml's routes and a
 * default route), so that it carries the whole numbering-plan metadata (core/config/numbering-plans.ts).
 */
export const API_EVERY_COUNTRY = 'api, with a default route';

export async function runBundles(runs = 5): Promise<BundleResult[]> {
  const runtimeConfig = toRuntimeConfig(loadGatewayConfig(join(REPO_ROOT, 'config', 'local.yaml')));
  const everyCountry: RuntimeConfig = { ...runtimeConfig, routes: [...runtimeConfig.routes, { id: 'everything-else', kind: 'static', default: true, carrier: 'sim-a' }] };
  const outDir = mkdtempSync(join(tmpdir(), 'bench-bundles-'));
  const names = readdirSync(join(REPO_ROOT, 'lambdas')).filter((n) => existsSync(join(REPO_ROOT, 'lambdas', n, 'index.ts'))).sort();
  const builds = [...names.map((name) => ({ name, entry: name, config: runtimeConfig })), { name: API_EVERY_COUNTRY, entry: 'api', config: everyCountry }];
  const results: BundleResult[] = [];
  for (const { name, entry, config } of builds) {
    const dir = join(outDir, name.replace(/\W+/g, '-'));
    const [bundled, runtime] = await Promise.all([buildOne(entry, dir, config, 'bundled'), buildOne(entry, dir, config, 'runtime')]);
    // Timed one after the other: two processes starting at once would slow each other down.
    results.push({ name, deployed: LAMBDA_SDK, sdk: { bundled: timeInit(bundled, 'bundled', runs), runtime: timeInit(runtime, 'runtime', runs) } });
  }
  return results;
}

async function buildOne(entry: string, outDir: string, runtimeConfig: RuntimeConfig, sdk: SdkSource): Promise<BundleBuild> {
  const outfile = join(outDir, `sdk-${sdk}`, 'index.js');
  let metafile: Metafile;
  try {
    ({ metafile } = await build({
      entryPoints: [join(REPO_ROOT, 'lambdas', entry, 'index.ts')],
      bundle: true,
      platform: 'node',
      ...esbuildOptions(lambdaBundleOptions(runtimeConfig, sdk)),
      outfile,
      metafile: true,
      logLevel: 'silent',
    }));
  } catch (err) {
    return { path: outfile, bytes: 0, kb: 0, parts: [], initMs: null, initRunsMs: [], error: `esbuild: ${(err as Error).message.split('\n')[0]}` };
  }
  const bytes = statSync(outfile).size;
  return { path: outfile, bytes, kb: round(bytes / 1024, 1), parts: heaviestParts(metafile), initMs: null, initRunsMs: [] };
}

/** The bytes each npm package (a nested copy under its own name) and each folder of the gateway's own code adds to the output. */
function heaviestParts(metafile: Metafile, count = 8): BundleBuild['parts'] {
  const bytes = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*node_modules\/)/.exec(input)?.[1];
      const name = pkg ?? input.split('/').slice(0, -1).join('/');
      bytes.set(name, (bytes.get(name) ?? 0) + bytesInOutput);
    }
  }
  return [...bytes].sort((a, b) => b[1] - a[1]).slice(0, count).map(([name, b]) => ({ name, kb: round(b / 1024, 1) }));
}

function timeInit(bundle: BundleBuild, sdk: SdkSource, runs: number): BundleBuild {
  if (bundle.error) return bundle;
  const initRunsMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const out = spawnSync(
      process.execPath,
      ['-e', `const t=process.hrtime.bigint();require(${JSON.stringify(bundle.path)});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`],
      { cwd: tmpdir(), env: { PATH: process.env.PATH ?? '', ...lambdaEnv(sdk) }, encoding: 'utf8' },
    );
    if (out.status !== 0) {
      // The error's own line ("EnvironmentError: …"), not a line of minified source that mentions one.
      const line = (out.stderr || '').split('\n').find((l) => /^\w*Error\b/.test(l)) ?? out.stderr;
      const error = `init failed: ${line.slice(0, 200)}`;
      return { ...bundle, initRunsMs, error };
    }
    initRunsMs.push(round(Number(out.stdout), 1));
  }
  return { ...bundle, initMs: round(median(initRunsMs), 1), initRunsMs };
}
