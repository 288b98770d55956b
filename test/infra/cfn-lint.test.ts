/**
 * cfn-lint on the templates the app synthesizes: the local one (as
 * `npm run deploy:local` makes it) and the production example, as given and with
 * its optional settings on. CloudFormation would refuse at deploy time much of
 * what cfn-lint finds; here it fails the test first. Rules left out, with their
 * reasons: .cfnlintrc.yaml.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGatewayConfig } from '../../core/config/load';
import type { GatewayConfig } from '../../core/config/schema';
import { GatewayStack, gatewayStackProps } from '../../lib/gateway-stack';
import { DEFAULT_ENDPOINT, localAwsEnv } from '../../scripts/emulator';
import { pythonTool, REPO_ROOT } from '../../scripts/python-tools';
import { templateApp, withOptionalSettings } from '../support/gateway-configs';
import { INSTALL_TIMEOUT_MS, runPythonTool } from '../support/python-tool';

const AWS_ENV = { CDK_DEFAULT_ACCOUNT: '123456789012', CDK_DEFAULT_REGION: 'eu-west-1' };

function production(): GatewayConfig {
  return loadGatewayConfig(join(REPO_ROOT, 'config/example-production.yaml'));
}

const TEMPLATES: Array<{ name: string; config: () => GatewayConfig; env: NodeJS.ProcessEnv }> = [
  // As the local deploy synthesizes it: GATEWAY_LOCAL=1 and the emulator's account and region.
  { name: 'config/local.yaml, deployed locally', config: () => loadGatewayConfig(join(REPO_ROOT, 'config/local.yaml')), env: { GATEWAY_LOCAL: '1', ...localAwsEnv(DEFAULT_ENDPOINT) } },
  { name: 'config/example-production.yaml', config: production, env: AWS_ENV },
  {
    name: 'config/example-production.yaml with named Elastic IPs and the API Gateway account role',
    config: () => withOptionalSettings(production()),
    env: AWS_ENV,
  },
];

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cfn-lint-'));
  pythonTool('cfnLint');
}, INSTALL_TIMEOUT_MS);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('cfn-lint', () => {
  it.each(TEMPLATES)('finds nothing in the template of $name', ({ name, config, env }) => {
    // Prepare: the app's own stack props; the context the CDK CLI would read (looked-up availability zones).
    const props = gatewayStackProps(config(), env);
    const app = templateApp(JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.context.json'), 'utf8')));
    const file = join(dir, `${name.replace(/[^a-z0-9]+/gi, '-')}.json`);
    writeFileSync(file, JSON.stringify(Template.fromStack(new GatewayStack(app, props.config.stackName, props)).toJSON(), null, 1));
    // Act
    const run = runPythonTool('cfnLint', ['--config-file', join(REPO_ROOT, '.cfnlintrc.yaml'), '--regions', props.env!.region!, '--', file]);
    // Assess
    expect({ status: run.status, findings: run.output.trim() }, `cfn-lint on the template of ${name}:\n${run.output}`).toEqual({ status: 0, findings: '' });
  }, 180_000);
});
