/**
 * The stack's intent, asserted on the synthesized template (AWS mode, as
 * `cdk deploy` would build it), plus the cdk-nag AwsSolutions checks.
 */
import { Validations, type App, type CfnElement, type Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadGatewayConfig } from '../../core/config/load';
import { CARRIER_QUEUE_MAX_RECEIVES, MAX_THROTTLED_RECEIVES } from '../../core/domain/deadlines';
import { WORKER_STOP_BUDGET_SECONDS } from '../../lib/constructs/smpp-worker-service';
import { GatewayStack } from '../../lib/gateway-stack';
import { loadWorkerSettings } from '../../worker/settings';
import { awsConfig, EIP_ALLOCATION_IDS, templateApp, withOptionalSettings } from '../support/gateway-configs';

const ENV = { account: '123456789012', region: 'eu-west-1' };

let app: App;
let stack: Stack;
let template: Template;
/** The same config with the optional network and operations settings on: named Elastic IPs, the API Gateway account role. */
let optionalApp: App;
let optional: Template;
/** config/example-production.yaml, and config/local.yaml as a local deploy makes it. */
let production: Template;
let local: Template;

beforeAll(() => {
  app = templateApp();
  stack = new GatewayStack(app, 'Test', { config: awsConfig(), env: ENV });
  template = Template.fromStack(stack);
  optionalApp = templateApp();
  optional = Template.fromStack(new GatewayStack(optionalApp, 'Optional', { config: withOptionalSettings(awsConfig()), env: ENV }));
  production = Template.fromStack(new GatewayStack(templateApp(), 'Production', { config: loadGatewayConfig('config/example-production.yaml'), env: ENV }));
  local = Template.fromStack(new GatewayStack(templateApp(), 'Local', { config: loadGatewayConfig('config/local.yaml'), local: true, env: ENV }));
}, 120_000);

/** The worker container's definition, and its environment as ECS sets it (tokens as placeholders, secrets as their variables). */
function workerContainer(of: Template): { container: Record<string, any>; env: NodeJS.ProcessEnv } {
  const [task] = Object.values(of.findResources('AWS::ECS::TaskDefinition'));
  const container = task!.Properties.ContainerDefinitions[0];
  const env: NodeJS.ProcessEnv = { GATEWAY_CONFIG: '/nonexistent/gateway.yaml' };
  for (const { Name, Value } of container.Environment) env[Name] = typeof Value === 'string' ? Value : `token-${Name}`;
  for (const { Name } of container.Secrets) env[Name] = 'from-secrets-manager';
  env.CARRIER_QUEUE_URLS = JSON.stringify(Object.fromEntries(awsConfig().carriers.map((c) => [c.id, `https://sqs/${c.id}.fifo`])));
  return { container, env };
}

/** The worker service's only AWS::ECS::Service. */
function workerService(of: Template): Record<string, any> {
  const services = Object.values(of.findResources('AWS::ECS::Service'));
  expect(services).toHaveLength(1);
  return services[0]!.Properties;
}

describe('message table', () => {
  it('is on-demand with TTL, point-in-time recovery, encryption and a stream with both images', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
      SSESpecification: { SSEEnabled: true },
    });
  });
});

/** A template string value with its Fn::Join resolved: a reference appears as <Ref:LogicalId>. */
function joined(value: unknown): string {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (!join) return `<${Object.keys(value as object)[0]}:${String(Object.values(value as object)[0])}>`;
  return join[1].map(joined).join(join[0]);
}

describe('API', () => {
  // The execute-api URL of the stage: https://<api id>.execute-api.<region>.<url suffix>/live
  let apiBase: string;
  beforeAll(() => {
    const [apiId] = Object.keys(template.findResources('AWS::ApiGateway::RestApi'));
    apiBase = `https://<Ref:${apiId}>.execute-api.eu-west-1.<Ref:AWS::URLSuffix>/live`;
  });

  it('limits the stage to the sum of the tenants\' request rates (each tenant\'s own limit is counted by the function)', () => {
    // local.yaml: acme 200, globex 200, stark 200, initech 2, umbrella 20, hooli 10, wayne 20
    template.hasResourceProperties('AWS::ApiGateway::Stage', { MethodSettings: Match.arrayWith([Match.objectLike({ ThrottlingRateLimit: 652, ThrottlingBurstLimit: 1304 })]) });
  });

  it('answers its own throttling and failures as problem+json: 429 with Retry-After, 503', () => {
    const responses = Object.values(template.findResources('AWS::ApiGateway::GatewayResponse')).map((r) => r.Properties);
    const byType = Object.fromEntries(responses.map((r) => [r.ResponseType, r]));
    expect(Object.keys(byType).sort()).toEqual(['DEFAULT_5XX', 'THROTTLED']);
    expect(byType.THROTTLED).toMatchObject({ StatusCode: '429', ResponseParameters: { 'gatewayresponse.header.Content-Type': "'application/problem+json'", 'gatewayresponse.header.Retry-After': "'1'" } });
    expect(JSON.parse(joined(byType.THROTTLED.ResponseTemplates['application/json']))).toMatchObject({ type: `${apiBase}/problems/rate-limited`, status: 429 });
    expect(byType.DEFAULT_5XX).toMatchObject({ StatusCode: '503', ResponseParameters: { 'gatewayresponse.header.Content-Type': "'application/problem+json'" } });
    expect(JSON.parse(joined(byType.DEFAULT_5XX.ResponseTemplates['application/json']))).toMatchObject({ type: `${apiBase}/problems/service-unavailable`, status: 503 });
  });

  it('tells the function its own URL, the base of the problem type URIs it answers with', () => {
    const fns = Object.values(template.findResources('AWS::Lambda::Function')).filter((f) => f.Properties.Environment?.Variables?.API_URL);
    expect(fns.map((f) => joined(f.Properties.Environment.Variables.API_URL))).toEqual([apiBase]);
  });
});

describe('API Gateway\'s CloudWatch role (one setting per account and region)', () => {
  it('is left alone by default: no role, no account setting', () => {
    template.resourceCountIs('AWS::ApiGateway::Account', 0);
    const roles = Object.values(template.findResources('AWS::IAM::Role')).map((r) => JSON.stringify(r.Properties.AssumeRolePolicyDocument));
    expect(roles.filter((doc) => doc.includes('apigateway.amazonaws.com'))).toEqual([]);
  });

  it('is created with operations.apiGatewayAccountRole and kept when the stack is deleted, since other APIs in the account use it', () => {
    const accounts = optional.findResources('AWS::ApiGateway::Account');
    const [[accountId, account]] = Object.entries(accounts) as [[string, any]];
    expect(Object.keys(accounts)).toHaveLength(1);
    expect(account).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    const roleId = account.Properties.CloudWatchRoleArn['Fn::GetAtt'][0];
    expect(optional.toJSON().Resources[roleId]).toMatchObject({
      Type: 'AWS::IAM::Role',
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: { ManagedPolicyArns: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs']] }] },
    });
    // The stage's logging needs the setting in place: the stage is created after it.
    const [stage] = Object.values(optional.findResources('AWS::ApiGateway::Stage'));
    expect(stage!.DependsOn).toContain(accountId);
  });
});

describe('queues', () => {
  it('give every queue a dead-letter queue and encryption', () => {
    const queues = template.findResources('AWS::SQS::Queue');
    const withDlq = Object.values(queues).filter((q) => q.Properties.RedrivePolicy);
    expect(withDlq.length).toBe(1 + 2 + 1); // ingest, one per carrier, webhooks
    for (const q of Object.values(queues)) expect(q.Properties.SqsManagedSseEnabled ?? q.Properties.KmsMasterKeyId).toBeTruthy();
  });

  it('make the ingest, carrier and webhook queues FIFO, deduplicating per message group', () => {
    template.resourcePropertiesCountIs('AWS::SQS::Queue', { FifoQueue: true, DeduplicationScope: 'messageGroup', FifoThroughputLimit: 'perMessageGroupId', RedrivePolicy: Match.anyValue() }, 4);
  });
});

describe('lambdas', () => {
  it('run Node.js 24 on arm64 with a log group of their own', () => {
    const fns = Object.values(template.findResources('AWS::Lambda::Function'));
    const ours = fns.filter((f) => f.Properties.Runtime?.startsWith('nodejs'));
    expect(ours.length).toBeGreaterThanOrEqual(3);
    for (const f of ours) {
      expect(f.Properties.Runtime).toBe('nodejs24.x');
      expect(f.Properties.Architectures).toEqual(['arm64']);
      expect(f.Properties.LoggingConfig?.LogGroup).toBeDefined();
    }
  });

  it('report partial batch failures on the ingest queue and the stream', () => {
    template.resourcePropertiesCountIs('AWS::Lambda::EventSourceMapping', { FunctionResponseTypes: ['ReportBatchItemFailures'] }, 3);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { BisectBatchOnFunctionError: true, DestinationConfig: { OnFailure: Match.anyValue() } });
  });
});

/** The IAM statements of a function's role. */
function statementsOf(fn: GatewayStack['outboxFunction']): { Action: string | string[]; Resource: unknown }[] {
  const roleId = stack.getLogicalId(fn.function.role!.node.defaultChild as CfnElement);
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(roleId))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
}

describe('outbox', () => {
  it('is invoked by the stream for message records, opt-outs, new inbound messages and removed retry timers only', () => {
    const mapping = Object.values(template.findResources('AWS::Lambda::EventSourceMapping')).find((m) => m.Properties.FilterCriteria);
    const patterns = mapping!.Properties.FilterCriteria.Filters.map((f: { Pattern: string }) => JSON.parse(f.Pattern));
    expect(patterns.map((p: any) => [p.eventName, p.dynamodb.Keys.pk.S[0].prefix])).toEqual([
      [['INSERT', 'MODIFY'], 'MSG#'],
      [['INSERT', 'MODIFY'], 'OPTOUT#'],
      [['INSERT'], 'INBOUND#'],
      [['REMOVE'], 'TIMER#'],
    ]);
  });

  it('may publish to the status topic and the inbound topic (it publishes each recorded inbound message), and to no other topic', () => {
    const gateway = stack as GatewayStack;
    const publishes = statementsOf(gateway.outboxFunction).filter((s) => [s.Action].flat().includes('sns:Publish'));
    const topics = publishes.flatMap((s) => [s.Resource].flat()).map((r) => (r as { Ref: string }).Ref);
    expect([...new Set(topics)].sort()).toEqual([gateway.statusTopic, gateway.inboundTopic].map((t) => stack.getLogicalId(t.node.defaultChild as CfnElement)).sort());
  });

  it('may send to the ingest queue, each carrier queue and its failure queue, and to no other queue (first attempts go straight to their carrier)', () => {
    const gateway = stack as GatewayStack;
    const sqs = statementsOf(gateway.outboxFunction).filter((s) => [s.Action].flat().some((a) => a.startsWith('sqs:')));
    for (const s of sqs) expect([s.Action].flat().every((a) => ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'].includes(a)), JSON.stringify(s.Action)).toBe(true);
    const queues = sqs.flatMap((s) => [s.Resource].flat()).map((r) => (r as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0]);
    const expected = [gateway.ingest.queue, ...Object.values(gateway.carrierQueues).map((q) => q.queue), gateway.outboxFailures].map((q) => stack.getLogicalId(q.node.defaultChild as CfnElement));
    expect([...new Set(queues)].sort()).toEqual(expected.sort());
    expect(Object.keys(gateway.carrierQueues).length).toBeGreaterThanOrEqual(2);
  });

  it('lets the worker decide a throttled message’s fate: the carrier queues move a message to their DLQ only after more receives than throttling takes', () => {
    const carrierQueues = Object.values(template.findResources('AWS::SQS::Queue')).filter((q) => q.Properties.RedrivePolicy?.maxReceiveCount === CARRIER_QUEUE_MAX_RECEIVES);
    expect(carrierQueues.length).toBe(Object.keys((stack as GatewayStack).carrierQueues).length);
    expect(CARRIER_QUEUE_MAX_RECEIVES).toBeGreaterThan(MAX_THROTTLED_RECEIVES);
  });

  it('knows the carrier queues by carrier id', () => {
    const fn = Object.values(template.findResources('AWS::Lambda::Function')).find((f) => f.Properties.Description?.includes('(the outbox)'))!;
    expect(Object.keys(fn.Properties.Environment.Variables)).toEqual(expect.arrayContaining(['INGEST_QUEUE_URL', 'CARRIER_QUEUE_URLS', 'STATUS_TOPIC_ARN']));
  });

  it('outputs what the status topic carries (statusEvents.publish), callbacks only by default', () => {
    template.hasOutput('StatusEventsPublished', { Value: 'callbacks' });
  });
});

describe('lifecycle', () => {
  it('publishes status events on a FIFO topic that feeds the webhook queue with raw delivery', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { FifoTopic: true, ContentBasedDeduplication: false });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'sqs', RawMessageDelivery: true });
  });

  it('runs the sweeper every minute', () => {
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 minute)', State: 'ENABLED' });
  });

  it('gives every tenant its own generated webhook signing secret', () => {
    template.resourcePropertiesCountIs('AWS::SecretsManager::Secret', { GenerateSecretString: Match.objectLike({ PasswordLength: 48 }) }, awsConfig().tenants.length);
  });

  it('indexes deadlines for the sweeper, and inbound messages by tenant and time for GET /v1/inbound', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      GlobalSecondaryIndexes: Match.arrayWith([Match.objectLike({ IndexName: 'due', KeySchema: [{ AttributeName: 'dueShard', KeyType: 'HASH' }, { AttributeName: 'dueAt', KeyType: 'RANGE' }] })]),
    });
  });

  it('indexes messages by tenant and time for the list, projecting only attributes a status change never writes', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      GlobalSecondaryIndexes: Match.arrayWith([
        {
          IndexName: 'list',
          KeySchema: [{ AttributeName: 'listShard', KeyType: 'HASH' }, { AttributeName: 'listAt', KeyType: 'RANGE' }],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['to', 'from'] },
        },
      ]),
    });
  });

  it('lets the api function query the list index and no other', () => {
    const gateway = stack as GatewayStack;
    const queries = statementsOf(gateway.apiFunction).filter((s) => [s.Action].flat().includes('dynamodb:Query'));
    const indexes = queries.flatMap((s) => [s.Resource].flat()).map((r) => JSON.stringify(r)).filter((r) => r.includes('/index/'));
    expect(indexes).toHaveLength(1);
    expect(indexes[0]).toContain('/index/list');
  });
});

describe('SMPP worker', () => {
  it('is a Fargate service on arm64 with a circuit breaker and passwords from Secrets Manager', () => {
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
      ContainerDefinitions: [
        Match.objectLike({
          User: '1000:1000',
          ReadonlyRootFilesystem: true,
          StopTimeout: 60,
          HealthCheck: Match.objectLike({ Command: Match.arrayWith(['CMD']) }),
          Secrets: Match.arrayWith([Match.objectLike({ Name: 'CARRIER_PASSWORD_SIM_A' })]),
        }),
      ],
    });
    template.hasResourceProperties('AWS::ECS::Service', {
      LaunchType: 'FARGATE',
      DeploymentConfiguration: Match.objectLike({ DeploymentCircuitBreaker: { Enable: true, Rollback: true } }),
    });
  });

  it.each([
    ['one NAT gateway', () => template],
    ['a NAT gateway in each zone', () => optional],
  ])('starts its tasks only once the NAT routes of its subnets exist (%s)', (_name, of) => {
    const natRoutes = Object.keys(of().findResources('AWS::EC2::Route', { Properties: { NatGatewayId: Match.anyValue() } }));
    const [service] = Object.values(of().findResources('AWS::ECS::Service'));
    expect(natRoutes.length).toBeGreaterThan(0);
    expect(service!.DependsOn).toEqual(expect.arrayContaining(natRoutes));
  });

  it('runs two tasks in production, over subnets in two availability zones, rebalanced across them', () => {
    // Prepare
    const service = workerService(production);
    const subnetIds: Array<{ Ref: string }> = service.NetworkConfiguration.AwsvpcConfiguration.Subnets;
    // Act
    const zones = subnetIds.map(({ Ref }) => JSON.stringify(production.toJSON().Resources[Ref].Properties.AvailabilityZone));
    // Assess
    expect(service.DesiredCount).toBe(2);
    expect(new Set(zones).size).toBeGreaterThanOrEqual(2);
    expect(service.AvailabilityZoneRebalancing).toBe('ENABLED');
  });

  it('runs no task in a local deploy, where npm run local starts the worker as a process', () => {
    expect(workerService(local).DesiredCount).toBe(0);
  });

  it('deploys new tasks before stopping old ones, so they stand by to take the leases the old ones release', () => {
    expect(workerService(production).DeploymentConfiguration).toMatchObject({
      MinimumHealthyPercent: 100,
      MaximumPercent: 200,
      DeploymentCircuitBreaker: { Enable: true, Rollback: true },
    });
  });

  it('gives a stopping task time for the poll in progress, the drain, unbind, the lease release and the last writes', () => {
    // Prepare: the worker's own reading of its environment
    const { container, env } = workerContainer(template);
    const { pollWaitSeconds, drainSeconds } = loadWorkerSettings(env);
    // Act
    const { unbind, releaseLeases, flush } = WORKER_STOP_BUDGET_SECONDS;
    // Assess
    expect(container.StopTimeout).toBe(pollWaitSeconds + drainSeconds + unbind + releaseLeases + flush);
    expect(container.StopTimeout).toBeLessThanOrEqual(120); // Fargate's longest
  });

  it('gives the worker every setting in its environment, so the container starts without a config file', () => {
    // Prepare
    const { env } = workerContainer(template);
    // Act
    const settings = loadWorkerSettings(env);
    // Assess
    expect(settings).toMatchObject({ retentionDays: awsConfig().retentionDays, retainText: false, logLevel: 'INFO', deliveryWrites: 'partiql' });
    expect(settings.carriers.map((c) => c.config.id)).toEqual(awsConfig().carriers.map((c) => c.id));
    expect(settings.tenants.map((t) => t.id)).toEqual(awsConfig().tenants.map((t) => t.id));
    expect(settings.replyValiditySeconds).toBe(awsConfig().limits.defaultValiditySeconds);
    expect(settings.prices).toEqual(awsConfig().prices);
  });

  it('gives the worker the tenants’ numbers and opt-out settings, never their API keys', () => {
    // Prepare
    const config = loadGatewayConfig('config/example-production.yaml');
    const { env } = workerContainer(production);
    env.CARRIER_QUEUE_URLS = JSON.stringify(Object.fromEntries(config.carriers.map((c) => [c.id, `https://sqs/${c.id}.fifo`])));
    // Act
    const settings = loadWorkerSettings(env);
    // Assess
    expect(settings.tenants).toEqual(config.tenants.map(({ id, numbers, optOut }) => ({ id, numbers, optOut })));
    expect(env.WORKER_TENANTS).not.toContain('apiKey');
  });

  it('never puts a carrier password in the task definition', () => {
    expect(JSON.stringify(template.toJSON())).not.toContain('secret-a');
  });

  it('has a NAT gateway for a static egress IP, and outputs that Elastic IP for the carriers\' whitelists', () => {
    const gateways = Object.values(template.findResources('AWS::EC2::NatGateway'));
    expect(gateways).toHaveLength(1);
    const [eipId] = Object.keys(template.findResources('AWS::EC2::EIP'));
    expect(gateways[0]!.Properties.AllocationId).toEqual({ 'Fn::GetAtt': [eipId, 'AllocationId'] });
    const outputs = template.toJSON().Outputs;
    expect(outputs.EgressIps.Value).toEqual({ 'Fn::GetAtt': [eipId, 'PublicIp'] });
    expect(outputs.EgressEipAllocationIds.Value).toEqual({ 'Fn::GetAtt': [eipId, 'AllocationId'] });
  });

  it('gives the NAT gateways the named Elastic IP allocations, one gateway per id, so the IPs outlive the stack', () => {
    const gateways = Object.values(optional.findResources('AWS::EC2::NatGateway'));
    expect(gateways.map((g) => g.Properties.AllocationId).sort()).toEqual(EIP_ALLOCATION_IDS);
    optional.resourceCountIs('AWS::EC2::EIP', 0);
    const outputs = optional.toJSON().Outputs;
    expect(outputs.EgressEipAllocationIds.Value).toBe(EIP_ALLOCATION_IDS.join(','));
    expect(outputs.EgressIps).toBeUndefined();
    // Each private subnet of the worker leaves through a gateway of its own availability zone.
    const routes = Object.values(optional.findResources('AWS::EC2::Route', { Properties: { NatGatewayId: Match.anyValue() } }));
    expect(new Set(routes.map((r) => JSON.stringify(r.Properties.NatGatewayId))).size).toBe(2);
  });
});

describe('a deploy to AWS', () => {
  it('refuses a plaintext carrier password', () => {
    const config = loadGatewayConfig('config/local.yaml');
    expect(() => new GatewayStack(templateApp(), 'Plain', { config })).toThrow(/sim-a, sim-b: a plaintext password is for local use only/);
  });

  it('refuses a region of one availability zone, where the worker tasks could not stand in for each other', () => {
    const oneZone = templateApp({ [`availability-zones:account=${ENV.account}:region=${ENV.region}`]: ['eu-west-1a'] });
    expect(() => new GatewayStack(oneZone, 'OneZone', { config: awsConfig(), env: ENV })).toThrow(
      "SmppWorkerService: the worker's subnets span 1 availability zone(s); its tasks need at least 2 to stand in for each other",
    );
  });
});

describe('cdk-nag', () => {
  /** cdk-nag v3 runs as a policy-validation plugin: any finding fails synth with a report. */
  function nagReport(of: App): string {
    Validations.of(of).addPlugins(new AwsSolutionsChecks(of, { verbose: true }));
    try {
      of.synth({ force: true });
    } catch (err) {
      return (err as Error).message;
    }
    return '';
  }

  it('finds no unacknowledged AwsSolutions finding', () => {
    expect(nagReport(app)).toBe('');
  }, 120_000);

  it('finds none with the optional settings on either (the account role\'s managed policy is acknowledged where it exists)', () => {
    expect(nagReport(optionalApp)).toBe('');
  }, 120_000);
});
