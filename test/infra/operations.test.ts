/**
 * Operations and hardening, asserted on the synthesized template (AWS mode):
 * every alarm by metric, namespace and threshold, the dashboard, encryption at
 * rest, and IAM scoping.
 */
import type { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseGatewayConfig } from '../../core/config/load';
import { WORKER_METRICS_INTERVAL_MS } from '../../core/util/metric-names';
import { GatewayStack } from '../../lib/gateway-stack';
import { awsConfig, templateApp } from '../support/gateway-configs';

let stack: GatewayStack;
let template: Template;
const CARRIERS = ['sim-a', 'sim-b'];
/** Binds configured per carrier: sim-b's account allows two. */
const BINDS: Record<string, number> = { 'sim-a': 1, 'sim-b': 2 };
const FUNCTIONS = ['api', 'router', 'outbox', 'webhook', 'sweeper'];
const QUOTA = { segmentsPerDay: 1000, segmentsPerMonth: 20000 };
let cappedTenant: string;

beforeAll(() => {
  const config = awsConfig({ alertEmail: 'oncall@example.com', queueAgeSeconds: 600 });
  // The first tenant has caps on segments per day and per month.
  const tenants = config.tenants.map((t, i) => (i === 0 ? { ...t, quota: QUOTA } : t));
  const withBinds = parseGatewayConfig({ ...config, tenants, carriers: config.carriers.map((c) => ({ ...c, binds: BINDS[c.id] })) });
  cappedTenant = tenants[0]!.id;
  stack = new GatewayStack(templateApp(), 'Ops', { config: withBinds, env: { account: '123456789012', region: 'eu-west-1' } });
  template = Template.fromStack(stack as Stack);
}, 120_000);

function alarm(name: string) {
  const all = template.findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmName: `Ops-${name}` } });
  const found = Object.values(all);
  expect(found, `alarm Ops-${name}`).toHaveLength(1);
  return found[0]!.Properties;
}

function metricOf(props: Record<string, any>, id?: string) {
  if (props.MetricName) return { namespace: props.Namespace, name: props.MetricName, dimensions: props.Dimensions, statistic: props.Statistic ?? props.ExtendedStatistic };
  const m = props.Metrics.find((x: any) => (id ? x.Id === id : x.MetricStat)).MetricStat;
  return { namespace: m.Metric.Namespace, name: m.Metric.MetricName, dimensions: m.Metric.Dimensions, statistic: m.Stat };
}

describe('alerts topic', () => {
  it('is encrypted with its own key that CloudWatch may use, TLS-only, with the configured e-mail subscription', () => {
    const topics = template.findResources('AWS::SNS::Topic', { Properties: { DisplayName: 'SMS gateway alerts' } });
    const [topic] = Object.values(topics);
    expect(topic!.Properties.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^OperationsAlertsKey/), 'Arn'] });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com' });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey'] })]) },
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', { PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) } });
  });

  it('lets CloudWatch publish to it, for this account\'s gateway alarms only (its TLS-only policy replaces the SNS default that would)', () => {
    // Prepare
    const [policy] = Object.values(template.findResources('AWS::SNS::TopicPolicy', { Properties: { Topics: [{ Ref: Match.stringLikeRegexp('^OperationsAlertsTopic') }] } }));
    const statements = policy!.Properties.PolicyDocument.Statement as Array<Record<string, any>>;
    // Assess
    const allow = statements.filter((st) => st.Effect === 'Allow');
    expect(allow).toEqual([
      {
        Sid: 'CloudWatchAlarmsPublish',
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: { Ref: expect.stringMatching(/^OperationsAlertsTopic/) },
        Condition: {
          StringEquals: { 'aws:SourceAccount': '123456789012' },
          ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:eu-west-1:123456789012:alarm:Ops-*']] } },
        },
      },
    ]);
    // Every alarm's ARN matches the condition's pattern.
    for (const a of Object.values(template.findResources('AWS::CloudWatch::Alarm'))) expect(a.Properties.AlarmName).toMatch(/^Ops-/);
  });

  it('receives every alarm, firing and clearing', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms.length).toBe(stack.operations.alarms.length);
    for (const a of alarms) {
      expect(a.Properties.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^OperationsAlertsTopic/) }]);
      expect(a.Properties.OKActions).toEqual(a.Properties.AlarmActions);
    }
  });

  it('has no e-mail subscription without alertEmail', () => {
    const plain = Template.fromStack(new GatewayStack(templateApp(), 'NoMail', { config: { ...awsConfig(), operations: { ...awsConfig().operations, alertEmail: undefined } }, env: { account: '123456789012', region: 'eu-west-1' } }));
    plain.resourcePropertiesCountIs('AWS::SNS::Subscription', { Protocol: 'email' }, 0);
  }, 120_000);
});

describe('alarms', () => {
  it('fire on any message in a dead-letter queue', () => {
    for (const name of ['IngestDlqNotEmpty', ...CARRIERS.map((c) => `CarrierDlq-${c}NotEmpty`), 'WebhookDlqNotEmpty', 'OutboxFailuresNotEmpty']) {
      const a = alarm(name);
      expect(metricOf(a)).toMatchObject({ namespace: 'AWS/SQS', name: 'ApproximateNumberOfMessagesVisible', statistic: 'Maximum' });
      expect(a).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
    }
  });

  it('fire when a carrier queue holds a message longer than operations.queueAgeSeconds', () => {
    for (const c of CARRIERS) {
      const a = alarm(`CarrierQueueAge-${c}`);
      expect(metricOf(a)).toMatchObject({ namespace: 'AWS/SQS', name: 'ApproximateAgeOfOldestMessage' });
      expect(a).toMatchObject({ Threshold: 600, ComparisonOperator: 'GreaterThanThreshold' });
    }
  });

  it('fire when no worker task has held a bind of a carrier for over a minute (the most any task reports is under 1), and when no task reports at all', () => {
    for (const c of CARRIERS) {
      const a = alarm(`BindsDown-${c}`);
      expect(metricOf(a)).toEqual({ namespace: 'SmsGateway', name: 'BindsUp', dimensions: [{ Name: 'Carrier', Value: c }], statistic: 'Maximum' });
      expect(a).toMatchObject({ Threshold: 1, ComparisonOperator: 'LessThanThreshold', Period: 60, EvaluationPeriods: 2, DatapointsToAlarm: 2, TreatMissingData: 'breaching' });
      expect(a.AlarmDescription).toBe(`Carrier ${c}: no worker task has held a bind for over a minute (or no task reports at all).`);
    }
  });

  it('leave lease takeovers to the dashboard: one after a task crash is the design working', () => {
    expect(stack.operations.alarms.map((a) => a.node.id)).not.toContainEqual(expect.stringMatching(/Lease/));
  });

  it('judge the delivery ratio per carrier over 15 minutes, only with traffic', () => {
    for (const c of CARRIERS) {
      const a = alarm(`DeliveryRatio-${c}`);
      expect(a).toMatchObject({ Threshold: 0.8, ComparisonOperator: 'LessThanThreshold', TreatMissingData: 'notBreaching' });
      const expr = a.Metrics.find((m: any) => m.Expression).Expression as string;
      expect(expr).toBe('IF((FILL(d, 0) + FILL(u, 0) + FILL(f, 0)) >= 20, FILL(d, 0) / (FILL(d, 0) + FILL(u, 0) + FILL(f, 0)))');
      for (const [id, name] of [['d', 'Delivered'], ['u', 'Undelivered'], ['f', 'Failed']] as const) {
        expect(metricOf(a, id)).toEqual({ namespace: 'SmsGateway', name, dimensions: [{ Name: 'Carrier', Value: c }], statistic: 'Sum' });
        expect(a.Metrics.find((m: any) => m.Id === id).MetricStat.Period).toBe(900);
      }
    }
  });

  it('fire on a high throttling rate and on many unmatched receipts', () => {
    for (const c of CARRIERS) {
      const t = alarm(`Throttling-${c}`);
      expect(metricOf(t)).toMatchObject({ namespace: 'SmsGateway', name: 'Throttled', dimensions: [{ Name: 'Carrier', Value: c }], statistic: 'Sum' });
      expect(t).toMatchObject({ Threshold: 50, Period: 60, EvaluationPeriods: 5, DatapointsToAlarm: 3 });
      const u = alarm(`UnmatchedReceipts-${c}`);
      expect(metricOf(u)).toMatchObject({ namespace: 'SmsGateway', name: 'UnmatchedReceipts', statistic: 'Sum' });
      expect(u).toMatchObject({ Threshold: 10, Period: 300 });
    }
  });

  it('fire on any API 5xx and on a high API p99 latency (API Gateway metrics)', () => {
    const e = alarm('Api5xx');
    expect(metricOf(e)).toMatchObject({ namespace: 'AWS/ApiGateway', name: '5XXError', statistic: 'Sum' });
    expect(e).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
    const l = alarm('ApiLatency');
    expect(metricOf(l)).toMatchObject({ namespace: 'AWS/ApiGateway', name: 'Latency', statistic: 'p99' });
    expect(l).toMatchObject({ Threshold: 2000 });
  });

  it('fire on any message refused as suspected SMS pumping (SuspectedPumping without dimensions, over 5 minutes)', () => {
    const p = alarm('SuspectedPumping');
    expect(metricOf(p)).toMatchObject({ namespace: 'SmsGateway', name: 'SuspectedPumping', statistic: 'Sum' });
    expect(p.Dimensions).toBeUndefined();
    expect(p).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', Period: 300 });
  });

  it('fire on errors and throttles of every function', () => {
    for (const f of FUNCTIONS) {
      expect(metricOf(alarm(`FunctionErrors-${f}`))).toMatchObject({ namespace: 'AWS/Lambda', name: 'Errors', statistic: 'Sum' });
      expect(metricOf(alarm(`FunctionThrottles-${f}`))).toMatchObject({ namespace: 'AWS/Lambda', name: 'Throttles', statistic: 'Sum' });
    }
  });

  it('fire at 80 % of each cap a tenant has, and for no tenant without caps', () => {
    for (const quota of Object.keys(QUOTA)) {
      const props = alarm(`QuotaUsed-${cappedTenant}-${quota}`);
      expect(metricOf(props)).toMatchObject({ namespace: 'SmsGateway', name: 'QuotaUsed', statistic: 'Maximum', dimensions: expect.arrayContaining([{ Name: 'Tenant', Value: cappedTenant }, { Name: 'Quota', Value: quota }]) });
      expect(props).toMatchObject({ Threshold: 80, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    }
    expect(Object.keys(template.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: 'QuotaUsed' } }))).toHaveLength(Object.keys(QUOTA).length);
  });

  it('fire when the worker runs fewer tasks than desired (Container Insights)', () => {
    const a = alarm('WorkerTasksBelowDesired');
    expect(a.Metrics.find((m: any) => m.Expression).Expression).toBe('desired - running');
    expect(metricOf(a, 'desired')).toMatchObject({ namespace: 'ECS/ContainerInsights', name: 'DesiredTaskCount' });
    expect(metricOf(a, 'running')).toMatchObject({ namespace: 'ECS/ContainerInsights', name: 'RunningTaskCount' });
    expect(a).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', EvaluationPeriods: 3 });
  });
});

/** The dashboard's widgets, with the tokens in its body (the region) as placeholders. */
function dashboardWidgets(): Array<{ properties: Record<string, any> }> {
  const [dash] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
  const body = dash!.Properties.DashboardBody;
  const text = typeof body === 'string' ? body : (body['Fn::Join'][1] as unknown[]).map((part) => (typeof part === 'string' ? part : 'token')).join('');
  return JSON.parse(text).widgets;
}

function widget(title: string) {
  const found = dashboardWidgets().filter((w) => w.properties.title === title);
  expect(found, `widget "${title}"`).toHaveLength(1);
  return found[0]!.properties;
}

describe('dashboard', () => {
  it('draws per carrier the binds all tasks hold against the binds configured', () => {
    for (const c of CARRIERS) {
      // Prepare
      const graph = widget(`Binds held by all tasks: ${c} (of ${BINDS[c]} configured)`);
      // Act: every task's BindsUp samples in a minute, over the samples one task sends in it
      const [[held], [namespace, name, dimension, carrier, options]] = graph.metrics;
      // Assess
      expect(held).toMatchObject({ expression: `m / ${60_000 / WORKER_METRICS_INTERVAL_MS}`, period: 60 });
      expect([namespace, name, dimension, carrier]).toEqual(['SmsGateway', 'BindsUp', 'Carrier', c]);
      expect(options).toMatchObject({ id: 'm', stat: 'Sum', period: 60, visible: false });
      expect(graph.annotations.horizontal).toEqual([expect.objectContaining({ value: BINDS[c], label: 'binds configured' })]);
    }
  });

  it('graphs the lease takeovers of each carrier per minute', () => {
    const graph = widget('Lease takeovers (per carrier, per minute)');
    expect(graph.metrics).toEqual(CARRIERS.map((c) => ['SmsGateway', 'LeaseTakeovers', 'Carrier', c, expect.objectContaining({ stat: 'Sum', period: 60 })]));
  });

  it('shows the flow, carrier health, latency, queues and the alarms', () => {
    const [dash] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dash!.Properties.DashboardBody);
    for (const title of ['Flow: accepted', 'Binds up', 'Window in use', 'Throttled', 'Delivery ratio', 'API latency', 'Submit latency', 'Receipt latency', 'Queue depth', 'Dead-letter queues', '\\"alarm\\"']) {
      expect(body, title).toContain(title);
    }
    for (const metric of ['MessagesAccepted', 'MessagesRouted', 'Submitted', 'Delivered', 'BindsUp', 'WindowInUse', 'SubmitLatency', 'ReceiptLatency']) expect(body).toContain(metric);
  });
});

describe('encryption at rest', () => {
  it('encrypts the table and the message-carrying topics with the rotating data key', () => {
    const keys = template.findResources('AWS::KMS::Key', { Properties: { Description: 'SMS gateway: message table, status and inbound topics' } });
    const [keyId] = Object.keys(keys);
    expect(keys[keyId!]!.Properties.EnableKeyRotation).toBe(true);
    template.hasResourceProperties('AWS::DynamoDB::Table', { SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } } });
    template.hasResourceProperties('AWS::SNS::Topic', { FifoTopic: true, KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    template.hasResourceProperties('AWS::SNS::Topic', { DisplayName: 'SMS gateway inbound messages', KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
  });

  it('encrypts every queue (SSE-SQS)', () => {
    for (const q of Object.values(template.findResources('AWS::SQS::Queue'))) expect(q.Properties.SqsManagedSseEnabled).toBe(true);
  });
});

describe('IAM', () => {
  const statements = () =>
    Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown; Condition?: any }>);

  it('grants no wildcard action', () => {
    for (const s of statements()) for (const a of [s.Action].flat()) expect(a, JSON.stringify(s)).not.toMatch(/\*/);
  });

  it('lets the worker put metrics in the SmsGateway namespace only', () => {
    const put = statements().filter((s) => [s.Action].flat().includes('cloudwatch:PutMetricData'));
    expect(put).toHaveLength(1);
    expect(put[0]!.Condition).toEqual({ StringEquals: { 'cloudwatch:namespace': 'SmsGateway' } });
  });

  it('lets the data key be used only through DynamoDB and SNS', () => {
    for (const s of statements().filter((x) => [x.Action].flat().some((a) => a.startsWith('kms:')))) {
      const via = s.Condition?.StringEquals?.['kms:ViaService'];
      // The outbox's stream read (DynamoEventSource) is CDK's own grant: decrypt only.
      if (via === undefined) expect([s.Action].flat().sort()).toEqual(['kms:Decrypt', 'kms:DescribeKey']);
      else expect(JSON.stringify(via)).toMatch(/dynamodb\.|sns\./);
    }
  });
});
