import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { OperationsConfig } from '../../core/config/schema';
import { LambdaMetric, METRICS_NAMESPACE, MetricDimension, WORKER_METRICS_INTERVAL_MS, WorkerMetric } from '../../core/util/metric-names';
import type { QueueWithDlq } from './queue-with-dlq';

export interface GatewayOperationsProps {
  /** Thresholds and the optional alert e-mail address (config `operations`). */
  readonly config: OperationsConfig;
  readonly api: apigateway.RestApi;
  /** The gateway's functions by name (api, router, outbox, webhook, sweeper): Errors and Throttles alarms for each. */
  readonly functions: Readonly<Record<string, lambda.IFunction>>;
  readonly ingest: QueueWithDlq;
  /** Carrier id → its queue and DLQ. */
  readonly carrierQueues: Readonly<Record<string, QueueWithDlq>>;
  /**
   * Carrier id → its configured `binds`, drawn as a line on the carrier's binds-held graph.
   * @default no line (a carrier left out is drawn without one)
   */
  readonly carrierBinds?: Readonly<Record<string, number>>;
  readonly webhooks: QueueWithDlq;
  /** Stream records the outbox could not enqueue. */
  readonly outboxFailures: sqs.IQueue;
  readonly workerService: ecs.FargateService;
  /**
   * Worker tasks meant to run. At 0 the bind and task-count alarms are left out
   * (nothing is meant to be bound). @default 2
   */
  readonly workerDesiredCount?: number;
  /**
   * Alarms on metric math (delivery ratio, tasks missing). MiniStack's
   * CloudFormation refuses them, so local deploys leave them out. @default true
   */
  readonly metricMathAlarms?: boolean;
  /**
   * Tenant id → the caps it has (`tenants[].quota`: segmentsPerDay, segmentsPerMonth,
   * spendPerMonth): a QuotaUsed alarm at QUOTA_ALARM_PERCENT of each. @default none
   */
  readonly tenantQuotas?: Readonly<Record<string, readonly string[]>>;
}

/** A tenant's cap alarms when this share of it is used: early enough to raise the cap or talk to the tenant. */
export const QUOTA_ALARM_PERCENT = 80;

/**
 * Alarms, the alerts topic and the dashboard of the gateway. Every alarm
 * notifies the alerts topic (KMS-encrypted with a key CloudWatch may use, TLS
 * enforced, a policy that lets CloudWatch publish for these alarms) when it fires
 * and when it clears. README#operations says what each
 * one means and what to do.
 *
 * @example
 * new GatewayOperations(this, 'Operations', { config: config.operations, api, functions, ingest, carrierQueues, webhooks, outboxFailures, workerService });
 */
export class GatewayOperations extends Construct {
  public readonly alertsTopic: sns.Topic;
  public readonly alertsKey: kms.Key;
  public readonly alarms: cloudwatch.Alarm[] = [];
  public readonly dashboard: cloudwatch.Dashboard;

  private readonly prefix: string;
  private readonly action: SnsAction;
  private readonly metricMathAlarms: boolean;

  constructor(scope: Construct, id: string, props: GatewayOperationsProps) {
    super(scope, id);
    const { config } = props;
    this.prefix = Stack.of(this).stackName;
    this.metricMathAlarms = props.metricMathAlarms ?? true;

    // A key of its own: alarms are published by CloudWatch, which needs the key; the message data keys stay out of its reach.
    this.alertsKey = new kms.Key(this, 'AlertsKey', { enableKeyRotation: true, description: 'SMS gateway: alerts topic' });
    this.alertsKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    this.alertsTopic = new sns.Topic(this, 'AlertsTopic', { displayName: 'SMS gateway alerts', masterKey: this.alertsKey, enforceSSL: true });
    // enforceSSL gives the topic a policy of its own, which takes the place of SNS's default policy (the one that lets
    // the account's own services publish): without this statement every alarm action fails with "… is not authorized
    // to perform: SNS:Publish". Only this account's CloudWatch, and only for the gateway's alarms (named by alarmName).
    this.alertsTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.alertsTopic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
          ArnLike: { 'aws:SourceArn': Stack.of(this).formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: this.alarmName('*'), arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
        },
      }),
    );
    if (config.alertEmail) this.alertsTopic.addSubscription(new EmailSubscription(config.alertEmail));
    this.action = new SnsAction(this.alertsTopic);

    const minute = Duration.minutes(1);
    const carriers = Object.keys(props.carrierQueues);
    const workerExpected = (props.workerDesiredCount ?? 2) > 0;

    // Dead-letter queues: anything in one is a message that needs a person.
    const dlqs: Array<[string, sqs.IQueue]> = [
      ['IngestDlq', props.ingest.deadLetterQueue],
      ...carriers.map((c): [string, sqs.IQueue] => [`CarrierDlq-${c}`, props.carrierQueues[c]!.deadLetterQueue]),
      ['WebhookDlq', props.webhooks.deadLetterQueue],
      ['OutboxFailures', props.outboxFailures],
    ];
    for (const [name, queue] of dlqs) {
      this.alarm(`${name}NotEmpty`, queue.metricApproximateNumberOfMessagesVisible({ period: minute, statistic: 'Maximum' }), {
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        description: `${name}: messages are waiting in a dead-letter queue (README#operations).`,
      });
    }

    for (const c of carriers) {
      const q = props.carrierQueues[c]!.queue;
      this.alarm(`CarrierQueueAge-${c}`, q.metricApproximateAgeOfOldestMessage({ period: minute, statistic: 'Maximum' }), {
        threshold: config.queueAgeSeconds,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        description: `Carrier ${c}: the oldest queued message waited over ${config.queueAgeSeconds} s for submission.`,
      });
      if (workerExpected) {
        // Every task reports its own BindsUp under the same Carrier dimension, so the Maximum is
        // the most any one task held: under 1 means no task holds a bind of the carrier. Standby
        // tasks (no lease) and draining ones report 0 and do not hide a task that is bound.
        this.alarm(`BindsDown-${c}`, this.carrierMetric(WorkerMetric.BindsUp, c, 'Maximum', minute), {
          threshold: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
          evaluationPeriods: 2,
          datapointsToAlarm: 2,
          // No worker reporting is the worst case of "no bind".
          treatMissingData: cloudwatch.TreatMissingData.BREACHING,
          description: `Carrier ${c}: no worker task has held a bind for over a minute (or no task reports at all).`,
        });
      }
      this.alarm(`DeliveryRatio-${c}`, this.deliveryRatio(c, config.deliveryRatioMinMessages), {
        threshold: config.deliveryRatio,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        description: `Carrier ${c}: under ${config.deliveryRatio * 100}% of the messages finished in 15 minutes were delivered (judged from ${config.deliveryRatioMinMessages} messages).`,
      });
      this.alarm(`Throttling-${c}`, this.carrierMetric(WorkerMetric.Throttled, c, 'Sum', minute), {
        threshold: config.throttlesPerMinute,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 5,
        datapointsToAlarm: 3,
        description: `Carrier ${c}: over ${config.throttlesPerMinute} throttling responses a minute in 3 of the last 5 minutes.`,
      });
      this.alarm(`UnmatchedReceipts-${c}`, this.carrierMetric(WorkerMetric.UnmatchedReceipts, c, 'Sum', Duration.minutes(5)), {
        threshold: config.unmatchedReceiptsPer5Min,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        description: `Carrier ${c}: over ${config.unmatchedReceiptsPer5Min} receipts in 5 minutes named an SMSC id the gateway did not know yet.`,
      });
    }

    this.alarm('Api5xx', props.api.metricServerError({ period: minute, statistic: 'Sum' }), {
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      description: 'The API answered with a 5xx (503: a dependency failed; other 5xx: API Gateway or the function).',
    });
    this.alarm('SuspectedPumping', new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName: LambdaMetric.SuspectedPumping, period: Duration.minutes(5), statistic: 'Sum' }), {
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      description: 'The API refused messages over a tenant’s SMS-pumping limit (suspected-pumping) in the last 5 minutes: see SuspectedPumping by Tenant and Country.',
    });
    this.alarm('ApiLatency', props.api.metricLatency({ period: minute, statistic: 'p99' }), {
      threshold: config.apiLatencyP99Ms,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      description: `API p99 latency over ${config.apiLatencyP99Ms} ms in 3 of the last 5 minutes.`,
    });

    for (const [name, fn] of Object.entries(props.functions)) {
      this.alarm(`FunctionErrors-${name}`, fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }), {
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        description: `The ${name} function failed (an invocation error, or a batch in which every record failed).`,
      });
      this.alarm(`FunctionThrottles-${name}`, fn.metricThrottles({ period: Duration.minutes(5), statistic: 'Sum' }), {
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        description: `The ${name} function was throttled (account or reserved concurrency reached).`,
      });
    }

    for (const [tenantId, quotas] of Object.entries(props.tenantQuotas ?? {})) {
      for (const quota of quotas) {
        const used = new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName: LambdaMetric.QuotaUsed, dimensionsMap: { [MetricDimension.Tenant]: tenantId, [MetricDimension.Quota]: quota }, statistic: 'Maximum', period: Duration.minutes(5) });
        this.alarm(`QuotaUsed-${tenantId}-${quota}`, used, {
          threshold: QUOTA_ALARM_PERCENT,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          description: `Tenant ${tenantId} has used ${QUOTA_ALARM_PERCENT} % of its ${quota} cap; past it the API answers 429 quota-exceeded until the cap resets.`,
        });
      }
    }

    if (workerExpected) {
      this.alarm('WorkerTasksBelowDesired', this.tasksMissing(props.workerService), {
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
        description: 'The SMPP worker has run fewer tasks than desired for 3 minutes.',
      });
    }

    this.dashboard = this.buildDashboard(props, carriers);
  }

  private alarm(id: string, metric: cloudwatch.IMetric, options: Omit<cloudwatch.CreateAlarmOptions, 'evaluationPeriods'> & { evaluationPeriods?: number; description: string }): cloudwatch.Alarm | undefined {
    if (metric instanceof cloudwatch.MathExpression && !this.metricMathAlarms) return undefined;
    const { description, ...rest } = options;
    const alarm = new cloudwatch.Alarm(this, id, {
      alarmName: this.alarmName(id),
      alarmDescription: description,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      ...rest,
      metric,
    });
    alarm.addAlarmAction(this.action);
    alarm.addOkAction(this.action);
    this.alarms.push(alarm);
    return alarm;
  }

  /** Every alarm's name: the alerts topic lets CloudWatch publish for these names only. */
  private alarmName(id: string): string {
    return `${this.prefix}-${id}`;
  }

  private carrierMetric(name: string, carrierId: string, statistic: string, period: Duration, label?: string): cloudwatch.Metric {
    return new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName: name, dimensionsMap: { [MetricDimension.Carrier]: carrierId }, statistic, period, ...(label ? { label } : {}) });
  }

  /** Delivered / (Delivered + Undelivered + Failed) over 15 minutes; no value while fewer than `minMessages` finished. */
  private deliveryRatio(carrierId: string, minMessages: number, label?: string, idSuffix = ''): cloudwatch.MathExpression {
    const period = Duration.minutes(15);
    const [d, u, f] = ['d', 'u', 'f'].map((x) => `${x}${idSuffix}`);
    const total = `(FILL(${d}, 0) + FILL(${u}, 0) + FILL(${f}, 0))`;
    return new cloudwatch.MathExpression({
      expression: `IF(${total} >= ${minMessages}, FILL(${d}, 0) / ${total})`,
      usingMetrics: {
        [d!]: this.carrierMetric(WorkerMetric.Delivered, carrierId, 'Sum', period),
        [u!]: this.carrierMetric(WorkerMetric.Undelivered, carrierId, 'Sum', period),
        [f!]: this.carrierMetric(WorkerMetric.Failed, carrierId, 'Sum', period),
      },
      period,
      label: label ?? `Delivery ratio ${carrierId}`,
    });
  }

  /**
   * The binds all worker tasks together hold, per minute. Each task publishes its own BindsUp
   * every WORKER_METRICS_INTERVAL_MS, so a minute's Sum holds that many samples of each task:
   * divided by their number it is the tasks' total (a sample that lands in the next minute makes
   * a minute read a fraction off). The Maximum would be one task's share only.
   */
  private bindsHeld(carrierId: string): cloudwatch.MathExpression {
    const period = Duration.minutes(1);
    const samplesPerPeriod = period.toMilliseconds() / WORKER_METRICS_INTERVAL_MS;
    return new cloudwatch.MathExpression({
      expression: `m / ${samplesPerPeriod}`,
      usingMetrics: { m: this.carrierMetric(WorkerMetric.BindsUp, carrierId, 'Sum', period) },
      period,
      label: `Binds held ${carrierId}`,
    });
  }

  /** Desired minus running tasks of the worker service (Container Insights). */
  private tasksMissing(service: ecs.FargateService): cloudwatch.MathExpression {
    const metric = (name: string) =>
      new cloudwatch.Metric({ namespace: 'ECS/ContainerInsights', metricName: name, dimensionsMap: { ClusterName: service.cluster.clusterName, ServiceName: service.serviceName }, statistic: 'Minimum', period: Duration.minutes(1) });
    return new cloudwatch.MathExpression({ expression: 'desired - running', usingMetrics: { desired: metric('DesiredTaskCount'), running: metric('RunningTaskCount') }, period: Duration.minutes(1), label: 'Worker tasks missing' });
  }

  private buildDashboard(props: GatewayOperationsProps, carriers: string[]): cloudwatch.Dashboard {
    const minute = Duration.minutes(1);
    const gw = (name: string, statistic: string, label: string, dimensionsMap?: Record<string, string>) =>
      new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName: name, statistic, period: minute, label, ...(dimensionsMap ? { dimensionsMap } : {}) });
    // Totals over carriers: one metric per carrier, summed.
    const total = (name: string, label: string) =>
      carriers.length === 0
        ? gw(name, 'Sum', label)
        : new cloudwatch.MathExpression({
            expression: `SUM([${carriers.map((_, i) => `${name.toLowerCase()}${i}`).join(', ')}])`,
            usingMetrics: Object.fromEntries(carriers.map((c, i) => [`${name.toLowerCase()}${i}`, this.carrierMetric(name, c, 'Sum', minute)])),
            period: minute,
            label,
          });
    const perCarrier = (name: string, statistic: string) => carriers.map((c) => this.carrierMetric(name, c, statistic, minute, c));
    const graph = (title: string, left: cloudwatch.IMetric[], width = 8, right?: cloudwatch.IMetric[]) =>
      new cloudwatch.GraphWidget({ title, left, ...(right ? { right } : {}), width, height: 6 });
    const bindsHeld = (c: string) => {
      const configured = props.carrierBinds?.[c];
      return new cloudwatch.GraphWidget({
        title: `Binds held by all tasks: ${c}${configured !== undefined ? ` (of ${configured} configured)` : ''}`,
        left: [this.bindsHeld(c)],
        leftYAxis: { min: 0, showUnits: false },
        ...(configured !== undefined ? { leftAnnotations: [{ value: configured, label: 'binds configured', color: cloudwatch.Color.RED }] } : {}),
        width: 6,
        height: 6,
      });
    };
    const queues: Array<[string, QueueWithDlq]> = [['ingest', props.ingest], ...carriers.map((c): [string, QueueWithDlq] => [c, props.carrierQueues[c]!]), ['webhooks', props.webhooks]];

    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { dashboardName: `${this.prefix}-gateway`, defaultInterval: Duration.hours(3) });
    dashboard.addWidgets(
      new cloudwatch.TextWidget({ markdown: `# SMS gateway ${this.prefix}\nFlow, carrier health, latency, queues. What each alarm means: README, section Operations.`, width: 24, height: 2 }),
    );
    dashboard.addWidgets(
      graph(
        'Flow: accepted → routed → submitted → delivered (per minute)',
        [gw(LambdaMetric.MessagesAccepted, 'Sum', 'Accepted'), total(WorkerMetric.Submitted, 'Submitted'), total(WorkerMetric.Delivered, 'Delivered')],
        12,
        [total(LambdaMetric.MessagesRouted, 'Routed')],
      ),
      graph('Not delivered (per minute)', [total(WorkerMetric.Undelivered, 'Undelivered'), total(WorkerMetric.Failed, 'Failed'), total(WorkerMetric.Retries, 'Retries'), gw(LambdaMetric.MessagesRejected, 'Sum', 'Rejected: no route', { [MetricDimension.Reason]: 'no_route' })], 12),
    );
    dashboard.addWidgets(...carriers.map(bindsHeld), graph('Lease takeovers (per carrier, per minute)', perCarrier(WorkerMetric.LeaseTakeovers, 'Sum'), 6));
    dashboard.addWidgets(
      graph('Binds up in one task, most (per carrier)', perCarrier(WorkerMetric.BindsUp, 'Maximum'), 6),
      graph('Window in use (per carrier)', perCarrier(WorkerMetric.WindowInUse, 'Maximum'), 6),
      graph('Throttled (per carrier, per minute)', perCarrier(WorkerMetric.Throttled, 'Sum'), 6),
      graph('Delivery ratio, 15 min (per carrier)', carriers.map((c, i) => this.deliveryRatio(c, 1, c, String(i))), 6),
    );
    dashboard.addWidgets(
      graph('API latency (ms)', [props.api.metricLatency({ period: minute, statistic: 'p50', label: 'p50' }), props.api.metricLatency({ period: minute, statistic: 'p99', label: 'p99' })], 8, [
        props.api.metricServerError({ period: minute, statistic: 'Sum', label: '5xx' }),
        props.api.metricClientError({ period: minute, statistic: 'Sum', label: '4xx' }),
      ]),
      graph('Submit latency: accepted → submit_sm_resp (ms)', [...perCarrier(WorkerMetric.SubmitLatency, 'Average'), ...carriers.map((c) => this.carrierMetric(WorkerMetric.SubmitLatency, c, 'Maximum', minute, `${c} max`))]),
      graph('Receipt latency: submitted → receipt (ms)', [...perCarrier(WorkerMetric.ReceiptLatency, 'Average'), ...carriers.map((c) => this.carrierMetric(WorkerMetric.ReceiptLatency, c, 'Maximum', minute, `${c} max`))]),
    );
    dashboard.addWidgets(
      graph('Queue depth (visible)', queues.map(([name, q]) => q.queue.metricApproximateNumberOfMessagesVisible({ period: minute, statistic: 'Maximum', label: name }))),
      graph('Oldest message age (s)', queues.map(([name, q]) => q.queue.metricApproximateAgeOfOldestMessage({ period: minute, statistic: 'Maximum', label: name }))),
      graph('Dead-letter queues (visible)', [
        ...queues.map(([name, q]) => q.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: minute, statistic: 'Maximum', label: `${name} DLQ` })),
        props.outboxFailures.metricApproximateNumberOfMessagesVisible({ period: minute, statistic: 'Maximum', label: 'outbox failures' }),
      ]),
    );
    dashboard.addWidgets(
      graph('API requests rejected (by reason)', [new cloudwatch.MathExpression({ expression: `SEARCH('{${METRICS_NAMESPACE},${MetricDimension.Reason}} MetricName="${LambdaMetric.RequestsRejected}"', 'Sum', 60)`, label: '', period: minute })], 12),
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 12, height: 6 }),
    );
    return dashboard;
  }
}
