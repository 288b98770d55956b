import * as path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { RuntimeConfig } from '../../core/config/runtime';
import { lambdaBundleOptions } from './lambda-bundle';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');

const OUTPUT_FORMATS = { cjs: OutputFormat.CJS } as const;
const LOG_LEVELS = { warning: LogLevel.WARNING } as const;

export interface GatewayFunctionProps {
  /** Folder under lambdas/ holding index.ts. */
  readonly name: string;
  /** Compiled runtime config, bundled as a constant. */
  readonly runtimeConfig: RuntimeConfig;
  readonly environment?: Record<string, string>;
  /** @default Duration.seconds(15) */
  readonly timeout?: Duration;
  /** @default 256 */
  readonly memorySize?: number;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  readonly description?: string;
}

/**
 * A Lambda function of the gateway: Node.js 24 on arm64, bundled and minified
 * by the local esbuild (no Docker) with the options of `lambda-bundle.ts` — the
 * AWS SDK v3 bundled too, the runtime config and the routes' numbering plans
 * injected as constants — and its own log group with a retention (the deprecated
 * logRetention custom resource is avoided).
 */
export class GatewayFunction extends Construct {
  public readonly function: NodejsFunction;
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: GatewayFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Its own role: writes to its own log group only (no AWS-managed basic execution policy).
    const role = new iam.Role(this, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), description: `${id}: execution role` });
    this.logGroup.grantWrite(role);
    const bundle = lambdaBundleOptions(props.runtimeConfig);
    this.function = new NodejsFunction(this, 'Function', {
      role,
      entry: path.join(REPO_ROOT, 'lambdas', props.name, 'index.ts'),
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(15),
      description: props.description,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      projectRoot: REPO_ROOT,
      depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
      environment: { ...props.environment },
      bundling: {
        minify: bundle.minify,
        sourceMap: bundle.sourcemap,
        target: bundle.target,
        format: OUTPUT_FORMATS[bundle.format],
        mainFields: [...bundle.mainFields],
        // Always set: left undefined, NodejsFunction would leave out @aws-sdk/* for the runtime to provide.
        externalModules: [...bundle.external],
        define: { ...bundle.define },
        // NodejsFunction has no alias option of its own: esbuild's --alias:<import>=<module>, one per entry.
        esbuildArgs: { '--alias': Object.entries(bundle.alias).map(([from, to]) => `${from}=${to}`) },
        logLevel: LOG_LEVELS[bundle.logLevel],
      },
    });
  }
}
