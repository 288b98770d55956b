/**
 * How every Lambda of the gateway is bundled, in one place: GatewayFunction hands these options
 * to NodejsFunction's esbuild, and `npm run bench` (bench/bundles.ts) and the tests build with the
 * same ones through esbuild's API, so the bundles they weigh, time and check are the ones that are
 * deployed. Plain data with no CDK import, so the benchmark reads it without loading aws-cdk-lib.
 *
 * @example
 * await esbuild.build({ entryPoints, bundle: true, platform: 'node', ...esbuildOptions(lambdaBundleOptions(runtimeConfig)) });
 */
import type { BuildOptions } from 'esbuild';
import { withFictionalNumbers } from '../../core/config/fictional-numbers';
import { numberingPlansFor, SENDABLE_METADATA } from '../../core/config/numbering-plans';
import type { RuntimeConfig } from '../../core/config/runtime';

/** Where a function takes the AWS SDK v3 from: its own bundle, or the Lambda runtime's copy. */
export type SdkSource = 'bundled' | 'runtime';

/**
 * The deployed functions carry their SDK: they run the lockfile's version, the one the tests ran,
 * rather than whichever one the runtime ships that day, and they load faster (one file, no module
 * resolution). docs/design.md, "Lambda bundles", has the measurements, the cost and the sources.
 */
export const LAMBDA_SDK: SdkSource = 'bundled';

const SDK_EXTERNALS: Readonly<Record<SdkSource, readonly string[]>> = {
  bundled: [],
  runtime: ['@aws-sdk/*'],
};

export interface LambdaBundleOptions {
  readonly minify: true;
  readonly sourcemap: false;
  /** Runs on the Lambda Node.js 24 runtime and on the emulator's local Node 20. */
  readonly target: 'node20';
  readonly format: 'cjs';
  /** ESM entry points first, so that esbuild tree-shakes (zod/mini, libphonenumber-js, the SDK). */
  readonly mainFields: readonly string[];
  /** Modules left out of the bundle, for the runtime to provide. */
  readonly external: readonly string[];
  /** Imports bundled from another module of the same package: {@link MODERN_BUILDS}. */
  readonly alias: Readonly<Record<string, string>>;
  /**
   * Constants compiled at synth: the runtime config as `process.env.GATEWAY_RUNTIME_CONFIG`, and the
   * numbering plans of the calling codes the routes reach as `process.env.GATEWAY_NUMBERING_PLANS`
   * (every plan when they reach every code).
   */
  readonly define: Readonly<Record<string, string>>;
  /** Warnings and errors only: no size summary per bundle in every synth's and deploy's output. */
  readonly logLevel: 'warning';
}

/**
 * libphonenumber-js's ES2015+ build, which its README offers for environments that support ES6 (as
 * `/core/es6`): the same code as the default ES5 build without the transpiled classes and helpers,
 * 15 KB less in the api bundle. Only bundles take it: it is an ESM-only export, which the CommonJS
 * tests and tools cannot `require`.
 */
const MODERN_BUILDS: Readonly<Record<string, string>> = { 'libphonenumber-js/core': 'libphonenumber-js/core/es6' };

/** The esbuild options of a function bundle; `sdk` other than {@link LAMBDA_SDK} only for comparison. */
export function lambdaBundleOptions(runtimeConfig: RuntimeConfig, sdk: SdkSource = LAMBDA_SDK): LambdaBundleOptions {
  return {
    minify: true,
    sourcemap: false,
    target: 'node20',
    format: 'cjs',
    mainFields: ['module', 'main'],
    external: SDK_EXTERNALS[sdk],
    alias: MODERN_BUILDS,
    define: {
      'process.env.GATEWAY_RUNTIME_CONFIG': JSON.stringify(JSON.stringify(runtimeConfig)),
      'process.env.GATEWAY_NUMBERING_PLANS': numberingPlansDefine(runtimeConfig),
    },
    logLevel: 'warning',
  };
}

/** The same options in the form esbuild's build() takes (mutable arrays and records). */
export function esbuildOptions(options: LambdaBundleOptions): BuildOptions {
  return { ...options, mainFields: [...options.mainFields], external: [...options.external], alias: { ...options.alias }, define: { ...options.define } };
}

/**
 * The numbering plans as an esbuild define (a JSON string literal): the slice of the routed calling
 * codes, or every plan when the routes reach every code. Always compiled, so that no bundle carries
 * the two metadata files sendable-metadata.ts merges from source.
 */
function numberingPlansDefine(runtimeConfig: RuntimeConfig): string {
  const plans = numberingPlansFor(runtimeConfig.routes) ?? { metadata: SENDABLE_METADATA, unrouted: [] };
  return JSON.stringify(JSON.stringify(runtimeConfig.fictionalNumbers ? withFictionalNumbers(plans) : plans));
}
