/**
 * npm run deploy:local — deploys the stack to the LocalStack-compatible endpoint
 * (AWS_ENDPOINT_URL, or MiniStack started on localhost:4566), applies what the
 * emulator does not take from the template, and writes .local/outputs.json.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient, UpdateTimeToLiveCommand, DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import * as z from 'zod/mini';
import { configPath, loadGatewayConfig } from '../core/config/load';
import { LocalOutputs, localOutputsFile, writeLocalOutputs } from '../core/config/local-outputs';
import { ensureEmulator, LOCAL_DIR, localAwsEnv, REPO_ROOT } from './emulator';

export const OUTPUTS_FILE = localOutputsFile(REPO_ROOT);
/** cdk's --outputs-file: stack name → output name → value. */
const CdkOutputsFile = z.record(z.string(), LocalOutputs.shape.raw);

export interface DeployOptions {
  /** Print nothing: the CDK's output is kept and shown only in the error of a failed deploy (the test setup). @default false */
  quiet?: boolean;
}

function run(cmd: string, args: string[], env: Record<string, string>, quiet: boolean): void {
  const res = spawnSync(cmd, args, { cwd: REPO_ROOT, env: { ...process.env, ...env }, ...(quiet ? { stdio: 'pipe', encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 } : { stdio: 'inherit' }) });
  if (res.status === 0) return;
  const output = quiet ? `\n${`${res.stdout ?? ''}${res.stderr ?? ''}`.slice(-8000)}` : '';
  throw new Error(`${cmd} ${args.join(' ')} failed with exit code ${res.status}${output}`);
}

export async function deployLocal(options: DeployOptions = {}): Promise<LocalOutputs> {
  const quiet = options.quiet ?? false;
  const config = loadGatewayConfig(configPath());
  const emulator = await ensureEmulator({ quiet });
  const env: Record<string, string> & { AWS_REGION: string } = { ...localAwsEnv(emulator.endpoint), AWS_REGION: localAwsEnv(emulator.endpoint).AWS_REGION!, GATEWAY_LOCAL: '1', GATEWAY_CONFIG: configPath() };
  // This process's own SDK calls (post-deploy fixes) use the same endpoint and credentials.
  Object.assign(process.env, env);
  mkdirSync(LOCAL_DIR, { recursive: true });
  const cdkOutputs = join(LOCAL_DIR, 'cdk-outputs.json');
  const cdklocal = join(REPO_ROOT, 'node_modules', '.bin', 'cdklocal');
  run(cdklocal, ['bootstrap', `aws://000000000000/${env.AWS_REGION}`], env, quiet);
  run(cdklocal, ['deploy', '--require-approval', 'never', '--outputs-file', cdkOutputs, config.stackName], env, quiet);

  const raw = CdkOutputsFile.parse(JSON.parse(readFileSync(cdkOutputs, 'utf8')))[config.stackName];
  if (!raw) throw new Error(`no outputs for stack ${config.stackName} in ${cdkOutputs}`);
  const out = (key: string): string => {
    const v = raw[key];
    if (v === undefined) throw new Error(`stack output ${key} is missing`);
    return v;
  };

  // Emulator gap: MiniStack does not apply TimeToLiveSpecification from the template.
  const dynamo = new DynamoDBClient({});
  const ttl = await dynamo.send(new DescribeTimeToLiveCommand({ TableName: out('TableName') }));
  if (ttl.TimeToLiveDescription?.TimeToLiveStatus !== 'ENABLED') {
    await dynamo.send(new UpdateTimeToLiveCommand({ TableName: out('TableName'), TimeToLiveSpecification: { Enabled: true, AttributeName: 'expiresAt' } }));
  }

  const apiKeys = Object.fromEntries(config.tenants.map((t) => [t.id, t.apiKeys]));
  const firstKey = config.tenants.find((t) => t.apiKeys.length > 0)?.apiKeys[0] ?? '';
  const twilioTenant = config.tenants.find((t) => t.twilio?.authToken !== undefined);
  const outputs: LocalOutputs = {
    endpoint: emulator.endpoint,
    stackName: config.stackName,
    region: env.AWS_REGION,
    // LocalStack and MiniStack both serve stages at /_aws/execute-api/{apiId}/{stage} (the stack builds it).
    apiUrl: out('ApiBaseUrl'),
    apiKey: firstKey,
    apiKeys,
    ...(twilioTenant ? { twilio: { tenantId: twilioTenant.id, accountSid: twilioTenant.twilio!.accountSid, authToken: twilioTenant.twilio!.authToken! } } : {}),
    tableName: out('TableName'),
    ingestQueueUrl: out('IngestQueueUrl'),
    ingestDlqUrl: out('IngestDlqUrl'),
    carrierQueueUrls: LocalOutputs.shape.carrierQueueUrls.parse(JSON.parse(out('CarrierQueueUrls'))),
    carrierDlqUrls: LocalOutputs.shape.carrierDlqUrls.parse(JSON.parse(out('CarrierDlqUrls'))),
    functions: { api: out('ApiFunctionName'), router: out('RouterFunctionName'), outbox: out('OutboxFunctionName') },
    raw,
  };
  writeLocalOutputs(OUTPUTS_FILE, outputs);
  if (!quiet) console.log(`deployed ${config.stackName} to ${emulator.endpoint}; outputs in .local/outputs.json\nAPI: ${outputs.apiUrl}`);
  return outputs;
}

if (require.main === module) {
  deployLocal().catch((err: unknown) => {
    console.error((err as Error).message);
    process.exit(1);
  });
}
