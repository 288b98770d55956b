/**
 * The Lambda bundles as synth builds them (NodejsFunction's local esbuild): they
 * carry the AWS SDK, requiring none of it from the runtime, and the api carries the
 * numbering plans of its routes only. The only infra test that bundles; CDK's
 * "Bundling asset" lines are kept from the test output.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { GatewayStack } from '../../lib/gateway-stack';
import { awsConfig } from '../support/gateway-configs';

let app: App;
let functions: { id: string; code: string }[];

beforeAll(() => {
  // CDK writes a line per bundled asset to stderr; esbuild's own summary follows it.
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    app = new App();
    const template = Template.fromStack(new GatewayStack(app, 'Bundles', { config: awsConfig(), env: { account: '123456789012', region: 'eu-west-1' } }));
    functions = Object.entries(template.findResources('AWS::Lambda::Function'))
      .filter(([, f]) => f.Properties.Runtime?.startsWith('nodejs'))
      .map(([id, f]) => ({ id, code: readFileSync(join(app.outdir, `asset.${String(f.Properties.Code.S3Key).replace(/\.zip$/, '')}`, 'index.js'), 'utf8') }));
  } finally {
    stderr.mockRestore();
  }
}, 180_000);

describe('Lambda bundles', () => {
  it('are built for every function', () => {
    expect(functions.map((f) => f.id).filter((id) => /^(Api|Outbox|Router|Webhook|Sweeper)Function/.test(id))).toHaveLength(5);
  });

  it('carry the AWS SDK, requiring none of it from the runtime', () => {
    for (const { id, code } of functions) {
      // Left out: the optional CRT signer, which the SDK tries inside a try only for SigV4a (unused here).
      const fromRuntime = [...code.matchAll(/require\("(@aws-sdk\/[^"]+)"\)/g)].map((m) => m[1]).filter((name) => name !== '@aws-sdk/signature-v4-crt');
      expect(fromRuntime, id).toEqual([]);
      expect(code, id).toContain('aws.auth#sigv4'); // the clients' SigV4 auth scheme: the SDK is in the bundle
    }
  });

  it('give the api the numbering plans of the calling codes its routes reach (+1, +44, +49), in libphonenumber’s ES2015+ build', () => {
    // Prepare
    const api = functions.find((f) => f.id.startsWith('ApiFunction'))!.code;
    // Assess
    expect(api).toContain('"country_calling_codes":{"1":["US",');
    expect(api).toContain('"44":["GB","GG","IM","JE"],"49":["DE"]}');
    expect(api).not.toContain('"61":["AU"]'); // the whole metadata lists every calling code with its countries
    // Babel's class-call guard is in libphonenumber's default ES5 build only: the --alias to /core/es6 took effect.
    expect(api).not.toContain('Cannot call a class as a function');
  });
});
