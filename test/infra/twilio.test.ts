/**
 * The stack's part of the Twilio-compatible API: its paths reach the API function with no
 * API Gateway authorizer or key in the way (the function checks HTTP Basic itself), and the
 * webhook function may read each tenant's auth token secret, and no other.
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadGatewayConfig, parseGatewayConfig } from '../../core/config/load';
import { GatewayStack } from '../../lib/gateway-stack';
import { awsConfig, templateApp } from '../support/gateway-configs';

const ENV = { account: '123456789012', region: 'eu-west-1' };

let stack: GatewayStack;
let template: Template;
let local: Template;

beforeAll(() => {
  stack = new GatewayStack(templateApp(), 'Test', { config: awsConfig(), env: ENV });
  template = Template.fromStack(stack);
  local = Template.fromStack(new GatewayStack(templateApp(), 'Local', { config: loadGatewayConfig('config/local.yaml'), local: true, env: ENV }));
}, 120_000);

/** The IAM statements of the webhook function's role. */
function webhookStatements(): { Action: string | string[]; Resource: unknown }[] {
  const [fnId] = Object.entries(template.findResources('AWS::Lambda::Function')).find(([, f]) => f.Properties.Description === 'Status events → signed webhook POSTs')!;
  const roleId = (template.toJSON().Resources[fnId].Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(roleId))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
}

describe('the Twilio-compatible paths', () => {
  it('reach the API function through the proxy resource, with no authorizer and no API key required', () => {
    template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: '{proxy+}' });
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method'));
    expect(methods.length).toBeGreaterThan(0);
    for (const m of methods) {
      expect(m.Properties.HttpMethod).toBe('ANY');
      expect(m.Properties.AuthorizationType).toBe('NONE');
      expect(m.Properties.ApiKeyRequired).not.toBe(true);
    }
  });
});

describe('the Twilio auth tokens', () => {
  it('are read by the webhook function from the configured secret, GetSecretValue on exactly it', () => {
    const fn = Object.values(template.findResources('AWS::Lambda::Function')).find((f) => f.Properties.Description === 'Status events → signed webhook POSTs')!;
    const secrets = JSON.stringify(fn.Properties.Environment.Variables.TWILIO_TOKEN_SECRETS);
    expect(secrets).toContain('acme');
    expect(secrets).toContain('secret:sms/twilio-acme');
    const reads = webhookStatements().filter((s) => [s.Action].flat().includes('secretsmanager:GetSecretValue'));
    const twilioReads = reads.filter((s) => JSON.stringify(s.Resource).includes('sms/twilio-'));
    expect(twilioReads).toHaveLength(1);
    expect(JSON.stringify(twilioReads[0]!.Resource)).toContain('secret:sms/twilio-acme-??????');
  });

  it('are kept in a secret the local stack makes from the config’s plaintext token', () => {
    local.hasResourceProperties('AWS::SecretsManager::Secret', { Description: 'Twilio auth token of tenant acme (local stack)', SecretString: Match.stringLikeRegexp('^[0-9a-f]{32}$') });
  });

  it('must be in a secret for a deploy to AWS: a digest alone cannot sign callbacks, and synth refuses it', () => {
    const config = awsConfig();
    const unsigned = parseGatewayConfig({ ...config, tenants: config.tenants.map((t) => (t.twilio ? { ...t, twilio: { accountSid: t.twilio.accountSid, authTokenSha256: t.twilio.authTokenSha256 } } : t)) });
    expect(() => new GatewayStack(templateApp(), 'Unsigned', { config: unsigned, env: ENV })).toThrow(/^tenants "acme"\.twilio: set authTokenSecret/);
  });

  it('are not in the runtime config the functions carry: only the digests are', () => {
    const api = Object.values(local.findResources('AWS::Lambda::Function')).find((f) => f.Properties.Description?.startsWith('HTTPS API'))!;
    const token = loadGatewayConfig('config/local.yaml').tenants.find((t) => t.twilio)!.twilio!.authToken!;
    expect(JSON.stringify(api)).not.toContain(token);
  });
});
