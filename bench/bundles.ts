/**
 * Lambda packages: each lambdas/<name>/index.ts bundled with esbuild exactly as
 * lib/constructs/gateway-function.ts has NodejsFunction do it (minify, platform node, target
 * node20, format cjs, mainFields module,main, external @aws-sdk/*, the runtime config from
 * config/local.yaml defined as a constant), then the bundle's module initialisation time:
 * `node -e` requiring it (the AWS SDK resolved from node_modules, as the Lambda runtime
 * provides it), median of 5 fresh processes.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { loadGatewayConfig } from '../core/config/load';
import { toRuntimeConfig } from '../core/config/runtime';
import { median, REPO_ROOT, round } from './common';

export interface BundleResult {
  name: string;
  /** The bundle on disk (a temporary directory). */
  path: string;
  bytes: number;
  kb: number;
  initMs: number | null;
  initRunsMs: number[];
  error?: string;
}

/** Environment a function reads at module load (the values do not matter: nothing is called). */
const LAMBDA_ENV: Record<string, string> = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  TABLE_NAME: 'bench',
  INGEST_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/ingest.fifo',
  STATUS_TOPIC_ARN: 'arn:aws:sns:us-east-1:000000000000:status.fifo',
  CARRIER_QUEUE_URLS: JSON.stringify({ 'sim-a': 'https://sqs.us-east-1.amazonaws.com/000000000000/a.fifo', 'sim-b': 'https://sqs.us-east-1.amazonaws.com/000000000000/b.fifo' }),
  WEBHOOK_SECRET_ARNS: JSON.stringify({ acme: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:acme' }),
  WEBHOOK_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/webhooks.fifo',
  WEBHOOK_DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/webhooks-dlq.fifo',
};

export async function runBundles(runs = 5): Promise<BundleResult[]> {
  const runtimeConfig = toRuntimeConfig(loadGatewayConfig(join(REPO_ROOT, 'config', 'local.yaml')));
  const outDir = mkdtempSync(join(tmpdir(), 'bench-bundles-'));
  const names = readdirSync(join(REPO_ROOT, 'lambdas')).filter((n) => existsSync(join(REPO_ROOT, 'lambdas', n, 'index.ts'))).sort();
  const results: BundleResult[] = [];
  for (const name of names) {
    const outfile = join(outDir, name, 'index.js');
    try {
      await build({
        entryPoints: [join(REPO_ROOT, 'lambdas', name, 'index.ts')],
        bundle: true,
        minify: true,
        sourcemap: false,
        platform: 'node',
        target: 'node20',
        format: 'cjs',
        mainFields: ['module', 'main'],
        external: ['@aws-sdk/*'],
        define: { 'process.env.GATEWAY_RUNTIME_CONFIG': JSON.stringify(JSON.stringify(runtimeConfig)) },
        outfile,
        logLevel: 'silent',
      });
    } catch (err) {
      results.push({ name, path: outfile, bytes: 0, kb: 0, initMs: null, initRunsMs: [], error: `esbuild: ${(err as Error).message.split('\n')[0]}` });
      continue;
    }
    const bytes = statSync(outfile).size;
    const initRunsMs: number[] = [];
    let error: string | undefined;
    for (let i = 0; i < runs; i++) {
      const out = spawnSync(
        process.execPath,
        ['-e', `const t=process.hrtime.bigint();require(${JSON.stringify(outfile)});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`],
        { env: { PATH: process.env.PATH ?? '', NODE_PATH: join(REPO_ROOT, 'node_modules'), ...LAMBDA_ENV }, encoding: 'utf8' },
      );
      if (out.status !== 0) {
        error = `init failed: ${(out.stderr || '').split('\n').find((l) => /Error/.test(l)) ?? out.stderr.slice(0, 200)}`;
        break;
      }
      initRunsMs.push(round(Number(out.stdout), 1));
    }
    results.push({ name, path: outfile, bytes, kb: round(bytes / 1024, 1), initMs: error ? null : round(median(initRunsMs), 1), initRunsMs, ...(error ? { error } : {}) });
  }
  return results;
}
