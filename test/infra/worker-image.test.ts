/**
 * The worker image as CDK builds it at deploy time (no Docker here, so nothing
 * is built): the Dockerfile passes hadolint, builds on the build platform and
 * runs on arm64 without emulation, and its build context — the one CDK stages
 * and fingerprints — holds what the COPY lines need and nothing else, so that
 * only worker and core changes give the image a new hash.
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { DockerImageAsset, Platform } from 'aws-cdk-lib/aws-ecr-assets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../lib/constructs/gateway-function';
import { WORKER_IMAGE_ASSET, WORKER_USER } from '../../lib/constructs/smpp-worker-service';
import { pythonTool } from '../../scripts/python-tools';
import { INSTALL_TIMEOUT_MS, runPythonTool } from '../support/python-tool';

interface Instruction {
  readonly keyword: string;
  readonly args: string[];
}

/** The Dockerfile's instructions, continuation lines joined, comments dropped. */
function instructions(dockerfile: string): Instruction[] {
  return dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [keyword, ...args] = line.split(/\s+/);
      return { keyword: keyword!.toUpperCase(), args };
    });
}

const DOCKERFILE = readFileSync(join(REPO_ROOT, WORKER_IMAGE_ASSET.file), 'utf8');
const INSTRUCTIONS = instructions(DOCKERFILE);
const stages = () => {
  const starts = INSTRUCTIONS.flatMap((ins, i) => (ins.keyword === 'FROM' ? [i] : []));
  return starts.map((start, n) => INSTRUCTIONS.slice(start, starts[n + 1]));
};
/** Sources of the COPY lines that read the build context (not another stage). */
const contextSources = () =>
  INSTRUCTIONS.filter((ins) => ins.keyword === 'COPY' && !ins.args.some((a) => a.startsWith('--from=')))
    .flatMap((ins) => ins.args.filter((a) => !a.startsWith('--')).slice(0, -1))
    .map((source) => source.replace(/\/$/, ''));

/** The asset hash CDK gives the worker image built from `directory`. */
function imageHash(directory: string): string {
  return new DockerImageAsset(new Stack(new App(), 'Hash'), 'Image', { directory, ...WORKER_IMAGE_ASSET }).assetHash;
}

describe('worker/Dockerfile', () => {
  beforeAll(() => void pythonTool('hadolint'), INSTALL_TIMEOUT_MS);

  it('passes hadolint with no finding', () => {
    const run = runPythonTool('hadolint', ['--no-color', WORKER_IMAGE_ASSET.file]);
    expect({ status: run.status, findings: run.output.trim() }, `hadolint found:\n${run.output}`).toEqual({ status: 0, findings: '' });
  });

  it('bundles on the build platform and runs on arm64 with no RUN step, so an x86 host needs no emulation', () => {
    const [build, ...rest] = stages();
    const runtime = rest.at(-1)!;
    expect(build![0]!.args).toContain('--platform=$BUILDPLATFORM');
    expect(runtime[0]!.args).toContain('--platform=linux/arm64');
    expect(WORKER_IMAGE_ASSET.platform).toBe(Platform.LINUX_ARM64);
    expect(runtime.filter((ins) => ins.keyword === 'RUN'), 'RUN steps in the runtime stage').toEqual([]);
  });

  it('runs as the user the task definition names', () => {
    const users = INSTRUCTIONS.filter((ins) => ins.keyword === 'USER').map((ins) => ins.args.join(' '));
    expect(users.at(-1)).toBe(WORKER_USER);
  });
});

describe('the worker image build context', () => {
  let outdir: string;
  let staged: string;

  beforeAll(() => {
    // Prepare: the asset as the stack defines it, staged by CDK the way `cdk deploy` hands it to docker build.
    outdir = mkdtempSync(join(tmpdir(), 'worker-context-'));
    const asset = new DockerImageAsset(new Stack(new App({ outdir }), 'Context'), 'Image', { directory: REPO_ROOT, ...WORKER_IMAGE_ASSET });
    staged = join(outdir, `asset.${asset.assetHash}`);
  });
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('holds every path the Dockerfile copies from it', () => {
    const missing = contextSources().filter((source) => !existsSync(join(staged, source)));
    expect(contextSources().length).toBeGreaterThan(0);
    expect(missing, `COPY sources outside the context (see .dockerignore): ${missing.join(', ')}`).toEqual([]);
  });

  it('holds nothing else but the Dockerfile\'s own ignore file', () => {
    const top = readdirSync(staged).sort();
    expect(top).toEqual([...new Set([...contextSources().map((s) => s.split('/')[0]!), '.dockerignore'])].sort());
  });
});

describe('the worker image hash', () => {
  let copy: string;
  let before: string;

  beforeAll(() => {
    // Prepare: a copy of the repository's files the context is made from, and some it must ignore.
    copy = mkdtempSync(join(tmpdir(), 'worker-hash-'));
    for (const entry of ['.dockerignore', 'package.json', 'package-lock.json', 'tsconfig.json', 'core', 'worker', 'README.md', 'docs', 'test/infra', 'lambdas']) {
      cpSync(join(REPO_ROOT, entry), join(copy, entry), { recursive: true });
    }
    before = imageHash(copy);
  });
  afterAll(() => rmSync(copy, { recursive: true, force: true }));

  const edit = (file: string) => writeFileSync(join(copy, file), `${readFileSync(join(copy, file), 'utf8')}\n// edited\n`);

  it.each(['README.md', 'docs/design.md', 'test/infra/worker-image.test.ts', 'lambdas/router/index.ts'])('stays the same when %s changes, so the worker tasks are not rolled', (file) => {
    edit(file);
    expect(imageHash(copy)).toBe(before);
  });

  it.each(['worker/main.ts', 'core/domain/message.ts', 'package-lock.json', 'worker/Dockerfile'])('changes when %s changes', (file) => {
    const previous = imageHash(copy);
    edit(file);
    expect(imageHash(copy)).not.toBe(previous);
  });
});
