import { CfnOutput, Duration, Fn, RemovalPolicy, SecretValue, Stack, type StackProps } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as events from 'aws-cdk-lib/aws-events';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { SqsSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { KeyPrefix } from '../core/aws/table-keys';
import { toRuntimeConfig } from '../core/config/runtime';
import { checkCallbackUrl } from '../core/domain/webhook';
import { CARRIER_QUEUE_MAX_RECEIVES } from '../core/domain/deadlines';
import type { GatewayConfig, TwilioAccountConfig } from '../core/config/schema';
import { problemBody, type ProblemType } from '../core/http/problem';
import { GatewayFunction } from './constructs/gateway-function';
import { grantPublish } from './constructs/grants';
import { MessageTable } from './constructs/message-table';
import { GatewayOperations } from './constructs/operations';
import { QueueWithDlq } from './constructs/queue-with-dlq';
import { SmppWorkerService } from './constructs/smpp-worker-service';
import { acknowledgeNagFindings } from './nag-suppressions';

/** The API's one stage. */
const API_STAGE = 'live';

export interface GatewayStackProps extends StackProps {
  /** The validated gateway configuration. */
  readonly config: GatewayConfig;
  /**
   * Removal policy of stateful resources (table). RETAIN for real deployments,
   * DESTROY for throwaway local stacks. @default RemovalPolicy.RETAIN
   */
  readonly statefulRemovalPolicy?: RemovalPolicy;
  /**
   * The emulator's endpoint, for local deploys: their API is reached at
   * `<endpoint>/_aws/execute-api/<api id>/<stage>`. @default 'http://localhost:4566'
   */
  readonly emulatorEndpoint?: string;
  /**
   * A deployment to a LocalStack-compatible emulator: the worker service is
   * defined without an image build or tasks (emulators cannot run containers;
   * the worker runs as a local Node process) and plaintext carrier passwords
   * are allowed. @default false
   */
  readonly local?: boolean;
}

/**
 * The stack's props as the CDK app takes them from its environment: GATEWAY_LOCAL=1
 * (set by `npm run deploy:local`) makes a local deployment with disposable stateful
 * resources; CDK_DEFAULT_ACCOUNT and CDK_DEFAULT_REGION (set by the CDK CLI) are the target.
 *
 * @example new GatewayStack(app, config.stackName, gatewayStackProps(config));
 */
export function gatewayStackProps(config: GatewayConfig, env: NodeJS.ProcessEnv = process.env): GatewayStackProps {
  const local = env.GATEWAY_LOCAL === '1';
  return {
    config,
    local,
    ...(local && env.AWS_ENDPOINT_URL ? { emulatorEndpoint: env.AWS_ENDPOINT_URL } : {}),
    statefulRemovalPolicy: local ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    env: { account: env.CDK_DEFAULT_ACCOUNT, region: env.CDK_DEFAULT_REGION },
  };
}

/**
 * Why a tenant's Twilio account cannot sign its status callbacks, or undefined: a callback is signed
 * with the auth token itself, and a SHA-256 digest cannot sign. In AWS the webhook function reads
 * the token from authTokenSecret (a plaintext token is never deployed); on a local stack the
 * config's plaintext token will do.
 */
export function twilioTokenProblem(account: TwilioAccountConfig, local: boolean): string | undefined {
  if (account.authTokenSecret !== undefined) return undefined;
  if (!local) return 'set authTokenSecret (the name or ARN of a Secrets Manager secret holding the auth token): status callbacks are signed with the token itself, which a digest cannot do; a plaintext authToken is for local use only';
  if (account.authToken === undefined) return 'set authToken (local configs) or authTokenSecret: status callbacks are signed with the token itself, which a digest cannot do';
  return undefined;
}

/**
 * The SMS gateway: HTTPS API (routes first attempts) → message table (outbox
 * stream) → one FIFO queue per carrier (→ SMPP worker); retries and unrouted
 * messages through the ingest queue and the router.
 */
export class GatewayStack extends Stack {
  public readonly table: MessageTable;
  public readonly ingest: QueueWithDlq;
  public readonly carrierQueues: Record<string, QueueWithDlq> = {};
  public readonly api: apigateway.RestApi;
  public readonly inboundTopic: sns.Topic;
  public readonly outboxFailures: sqs.Queue;
  public readonly apiFunction: GatewayFunction;
  public readonly outboxFunction: GatewayFunction;
  public readonly statusTopic: sns.Topic;
  public readonly webhooks: QueueWithDlq;
  public readonly webhookSecrets: Record<string, secretsmanager.Secret> = {};
  /** Tenant id → the secret holding its Twilio auth token (tenants with a Twilio account). */
  public readonly twilioTokenSecrets: Record<string, secretsmanager.ISecret> = {};
  public readonly sweeperFunction: GatewayFunction;
  public readonly worker: SmppWorkerService;
  /** Customer-managed key of what holds message content: the table and the status and inbound topics. */
  public readonly dataKey: kms.Key;
  public readonly operations: GatewayOperations;

  constructor(scope: Construct, id: string, props: GatewayStackProps) {
    super(scope, id, props);
    const { config } = props;
    const local = props.local ?? false;
    if (!local) {
      const plaintext = config.carriers.filter((c) => c.password !== undefined && c.passwordSecret === undefined).map((c) => c.id);
      if (plaintext.length > 0) {
        throw new Error(`carriers ${plaintext.join(', ')}: a plaintext password is for local use only; set passwordSecret (a Secrets Manager secret name or ARN) to deploy to AWS`);
      }
    }
    for (const tenant of config.tenants) {
      for (const field of ['callbackUrl', 'inboundUrl'] as const) {
        const url = tenant[field];
        const check = url ? checkCallbackUrl(url, { allowHttp: local, allowPrivate: local }) : { ok: true as const };
        if (!check.ok) throw new Error(`tenants "${tenant.id}".${field}: ${check.problem}`);
      }
    }
    for (const tenant of config.tenants) {
      const problem = tenant.twilio ? twilioTokenProblem(tenant.twilio, local) : undefined;
      if (problem) throw new Error(`tenants "${tenant.id}".twilio: ${problem}`);
    }
    const runtimeConfig = toRuntimeConfig(config, { local });

    // One customer-managed key for message content at rest (texts, numbers, status events, inbound texts):
    // access is auditable per call in CloudTrail and revocable by key policy, and disabling it locks the data.
    // Queues keep SSE-SQS: their content is transient (days) and a CMK there would add KMS calls per receive.
    this.dataKey = new kms.Key(this, 'DataKey', {
      enableKeyRotation: true,
      description: 'SMS gateway: message table, status and inbound topics',
      removalPolicy: props.statefulRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.table = new MessageTable(this, 'Messages', { removalPolicy: props.statefulRemovalPolicy ?? RemovalPolicy.RETAIN, encryptionKey: this.dataKey });
    const table = this.table.table;

    this.ingest = new QueueWithDlq(this, 'Ingest', { fifo: true, visibilityTimeout: Duration.seconds(90) });
    for (const carrier of config.carriers) {
      this.carrierQueues[carrier.id] = new QueueWithDlq(this, `Carrier-${carrier.id}`, {
        fifo: true,
        // Longer than the worker's response timeout plus its drain time.
        visibilityTimeout: Duration.seconds(Math.max(60, carrier.responseTimeoutSeconds * 4)),
        // Above the throttled receives the worker allows: a throttled message is retried, not moved to the DLQ.
        maxReceiveCount: CARRIER_QUEUE_MAX_RECEIVES,
      });
    }
    const carrierQueueUrls = JSON.stringify(Object.fromEntries(Object.entries(this.carrierQueues).map(([id, q]) => [id, q.queue.queueUrl])));

    // HTTPS API: one function behind a proxy resource, so unknown paths and methods get problem+json too.
    const apiFn = (this.apiFunction = new GatewayFunction(this, 'ApiFunction', {
      name: 'api',
      runtimeConfig,
      description: 'HTTPS API: submit, batch, read, list and dry-run messages',
      environment: { TABLE_NAME: table.tableName },
    }));
    this.table.grantItems(apiFn.function, 'PutItem', 'GetItem', 'BatchGetItem', 'UpdateItem', 'Query');
    // GET /v1/messages and GET /v1/inbound: a tenant's messages and inbound messages, newest first.
    this.table.grantQueryList(apiFn.function);

    const tenantsRate = config.tenants.reduce((sum, t) => sum + t.rateLimitPerSecond, 0);
    const accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    this.api = new apigateway.LambdaRestApi(this, 'Api', {
      handler: apiFn.function,
      proxy: true,
      description: 'SMS gateway HTTPS API',
      endpointTypes: [apigateway.EndpointType.REGIONAL],
      deployOptions: {
        stageName: API_STAGE,
        // The cap over all tenants; each tenant's own limit is counted by the function.
        throttlingRateLimit: Math.max(10, tenantsRate),
        throttlingBurstLimit: Math.max(20, tenantsRate * 2),
        accessLogDestination: new apigateway.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigateway.AccessLogFormat.jsonWithStandardFields(),
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
        tracingEnabled: false,
      },
      // API Gateway's CloudWatch role is one setting per account and region, not per API: a stack that sets it
      // overwrites another's, and deleting the role would stop the logs of every API there. Opt-in, and retained.
      ...(config.operations.apiGatewayAccountRole ? { cloudWatchRole: true, cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN } : { cloudWatchRole: false }),
    });
    // The URL clients call, and the base of the problem type URIs the function answers with. Built from
    // the API's id, not from api.url: that references the stage, which depends on the function (a cycle).
    const apiBaseUrl = local
      ? `${(props.emulatorEndpoint ?? 'http://localhost:4566').replace(/\/+$/, '')}/_aws/execute-api/${this.api.restApiId}/${API_STAGE}`
      : `https://${this.api.restApiId}.execute-api.${this.region}.${this.urlSuffix}/${API_STAGE}`;
    apiFn.function.addEnvironment('API_URL', apiBaseUrl);
    // API Gateway's own answers are problem+json too: the stage limit (429, before the
    // function's per-tenant limit) and failures to reach the function (503, retry).
    const gatewayProblem = (id: string, type: apigateway.ResponseType, status: number, problemType: ProblemType, detail: string, headers: Record<string, string> = {}) =>
      this.api.addGatewayResponse(id, {
        type,
        statusCode: String(status),
        responseHeaders: { 'Content-Type': "'application/problem+json'", ...Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, `'${v}'`])) },
        templates: { 'application/json': JSON.stringify(problemBody(apiBaseUrl, status, problemType, detail)) },
      });
    gatewayProblem('StageThrottled', apigateway.ResponseType.THROTTLED, 429, 'rate-limited', 'the API is over its request rate (all tenants together); retry after 1 second', { 'Retry-After': '1' });
    gatewayProblem('Default5xx', apigateway.ResponseType.DEFAULT_5XX, 503, 'service-unavailable', 'the request could not be completed; retry it (with the same Idempotency-Key)');

    // Status events: FIFO, one group per message, so every consumer sees a message's changes in order.
    this.statusTopic = new sns.Topic(this, 'StatusTopic', { displayName: 'SMS gateway message status events', fifo: true, contentBasedDeduplication: false, enforceSSL: true, masterKey: this.dataKey });
    // Inbound (MO) messages, reassembled and recorded by the worker, one event each (published by the outbox).
    this.inboundTopic = new sns.Topic(this, 'InboundTopic', { displayName: 'SMS gateway inbound messages', enforceSSL: true, masterKey: this.dataKey });

    // Outbox: new message records → their carrier's queue (routed by the API) or the ingest queue (for the
    // router); removed retry timers → ingest queue; status changes → status topic. Records that keep failing
    // go to a DLQ, not lost silently.
    const outboxFailures = (this.outboxFailures = new sqs.Queue(this, 'OutboxFailures', { encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod: Duration.days(14) }));
    const outboxFn = (this.outboxFunction = new GatewayFunction(this, 'OutboxFunction', {
      name: 'outbox',
      runtimeConfig,
      description: 'Table stream → carrier and ingest queues, status topic (the outbox)',
      environment: {
        TABLE_NAME: table.tableName,
        INGEST_QUEUE_URL: this.ingest.queue.queueUrl,
        CARRIER_QUEUE_URLS: carrierQueueUrls,
        STATUS_TOPIC_ARN: this.statusTopic.topicArn,
        INBOUND_TOPIC_ARN: this.inboundTopic.topicArn,
        // MiniStack loses the message group of PublishBatch entries (docs/design.md, emulator gaps).
        ...(local ? { STATUS_PUBLISH: 'one-by-one' } : {}),
      },
    }));
    this.ingest.queue.grantSendMessages(outboxFn.function);
    // First attempts the API routed go from the stream straight to their carrier's queue.
    for (const q of Object.values(this.carrierQueues)) q.queue.grantSendMessages(outboxFn.function);
    grantPublish(this.statusTopic, outboxFn.function);
    grantPublish(this.inboundTopic, outboxFn.function);
    // The usage items' figures by final status (GET /v1/usage?groupBy=status).
    this.table.grantItems(outboxFn.function, 'UpdateItem');
    outboxFn.function.addEventSource(
      new DynamoEventSource(table, {
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        bisectBatchOnError: true,
        retryAttempts: 100,
        reportBatchItemFailures: true,
        onFailure: new SqsDlq(outboxFailures),
        // Message records (new: enqueue; changed: status events), opt-outs (opt_out events), new inbound messages
        // and removed retry timers only: heartbeats, SMSC-id mappings and inbound parts never invoke the outbox.
        filters: [
          lambda.FilterCriteria.filter({ eventName: lambda.FilterRule.or('INSERT', 'MODIFY'), dynamodb: { Keys: { pk: { S: lambda.FilterRule.beginsWith(KeyPrefix.message) } } } }),
          lambda.FilterCriteria.filter({ eventName: lambda.FilterRule.or('INSERT', 'MODIFY'), dynamodb: { Keys: { pk: { S: lambda.FilterRule.beginsWith(KeyPrefix.optOut) } } } }),
          lambda.FilterCriteria.filter({ eventName: lambda.FilterRule.isEqual('INSERT'), dynamodb: { Keys: { pk: { S: lambda.FilterRule.beginsWith(KeyPrefix.inboundMessage) } } } }),
          lambda.FilterCriteria.filter({ eventName: lambda.FilterRule.isEqual('REMOVE'), dynamodb: { Keys: { pk: { S: lambda.FilterRule.beginsWith(KeyPrefix.retryTimer) } } } }),
        ],
      }),
    );

    // Router: ingest queue → carrier queue, for retries and for messages the API stored unrouted (no route: REJECTED).
    const routerFn = new GatewayFunction(this, 'RouterFunction', {
      name: 'router',
      runtimeConfig,
      description: 'Ingest queue → routing table → carrier queue (retries, unrouted messages)',
      environment: { TABLE_NAME: table.tableName, CARRIER_QUEUE_URLS: carrierQueueUrls },
    });
    this.table.grantItems(routerFn.function, 'GetItem', 'UpdateItem', 'Query');
    for (const q of Object.values(this.carrierQueues)) q.queue.grantSendMessages(routerFn.function);
    routerFn.function.addEventSource(new SqsEventSource(this.ingest.queue, { batchSize: 10, reportBatchItemFailures: true }));

    // Webhooks: status events → FIFO queue → signed POSTs, retried with backoff for over 24 h, then dead-lettered.
    this.webhooks = new QueueWithDlq(this, 'Webhooks', { fifo: true, visibilityTimeout: Duration.seconds(180), maxReceiveCount: 55 });
    // Only events someone asked to be told about (a callback URL on the message or the tenant) reach the dispatcher.
    this.statusTopic.addSubscription(
      new SqsSubscription(this.webhooks.queue, { rawMessageDelivery: true, filterPolicy: { callback: sns.SubscriptionFilter.stringFilter({ allowlist: ['yes'] }) } }),
    );
    for (const tenant of config.tenants) {
      // One signing secret per tenant: a tenant can verify its own webhooks but not forge another's.
      this.webhookSecrets[tenant.id] = new secretsmanager.Secret(this, `WebhookSecret-${tenant.id}`, {
        description: `Webhook signing secret of tenant ${tenant.id}`,
        generateSecretString: { passwordLength: 48, excludePunctuation: true },
        removalPolicy: props.statefulRemovalPolicy ?? RemovalPolicy.RETAIN,
      });
    }
    // The Twilio auth tokens sign Twilio-form status callbacks (HMAC-SHA1 with the token itself): the configured
    // secret in AWS; on a local stack, a secret made from the config's plaintext token, so both read the same way.
    for (const tenant of config.tenants) {
      const account = tenant.twilio;
      if (!account) continue;
      const id = `TwilioToken-${tenant.id}`;
      this.twilioTokenSecrets[tenant.id] =
        account.authTokenSecret === undefined
          ? new secretsmanager.Secret(this, id, { description: `Twilio auth token of tenant ${tenant.id} (local stack)`, secretStringValue: SecretValue.unsafePlainText(account.authToken!), removalPolicy: RemovalPolicy.DESTROY })
          : account.authTokenSecret.startsWith('arn:')
            ? secretsmanager.Secret.fromSecretCompleteArn(this, id, account.authTokenSecret)
            : secretsmanager.Secret.fromSecretNameV2(this, id, account.authTokenSecret);
    }
    const webhookFn = new GatewayFunction(this, 'WebhookFunction', {
      name: 'webhook',
      runtimeConfig,
      timeout: Duration.seconds(30),
      description: 'Status events → signed webhook POSTs',
      environment: {
        WEBHOOK_SECRET_ARNS: JSON.stringify(Object.fromEntries(Object.entries(this.webhookSecrets).map(([id, sec]) => [id, sec.secretArn]))),
        WEBHOOK_QUEUE_URL: this.webhooks.queue.queueUrl,
        WEBHOOK_DLQ_URL: this.webhooks.deadLetterQueue.queueUrl,
        ...(Object.keys(this.twilioTokenSecrets).length > 0
          ? { TWILIO_TOKEN_SECRETS: JSON.stringify(Object.fromEntries(Object.entries(this.twilioTokenSecrets).map(([id, sec]) => [id, sec.secretArn]))) }
          : {}),
        // Local receivers are plain http on loopback; in AWS only https to public addresses.
        // and a retry schedule shrunk 20 times, so local runs see retries within seconds.
        ...(local ? { WEBHOOK_ALLOW_HTTP: '1', WEBHOOK_ALLOW_PRIVATE: '1', WEBHOOK_RETRY_SCALE: '0.05' } : {}),
      },
    });
    for (const sec of Object.values(this.webhookSecrets)) sec.grantRead(webhookFn.function);
    for (const sec of Object.values(this.twilioTokenSecrets)) sec.grantRead(webhookFn.function);
    this.webhooks.queue.grantConsumeMessages(webhookFn.function);
    this.webhooks.deadLetterQueue.grantSendMessages(webhookFn.function);
    webhookFn.function.addEventSource(new SqsEventSource(this.webhooks.queue, { batchSize: 10, reportBatchItemFailures: true }));

    // Sweeper: every minute, overdue retry timers, due schedules (sendAt), expired validity, overdue receipts.
    const sweeperFn = (this.sweeperFunction = new GatewayFunction(this, 'SweeperFunction', {
      name: 'sweeper',
      runtimeConfig,
      timeout: Duration.seconds(55),
      description: 'Acts on overdue deadlines: retry timers, schedules, validity, receipts',
      environment: { TABLE_NAME: table.tableName, INGEST_QUEUE_URL: this.ingest.queue.queueUrl },
    }));
    this.table.grantQueryDue(sweeperFn.function);
    // BatchGetItem: a scheduled message's opt-outs with optOut.scope sender (its tenant-wide one and its sender's).
    this.table.grantItems(sweeperFn.function, 'GetItem', 'BatchGetItem', 'UpdateItem', 'DeleteItem');
    this.ingest.queue.grantSendMessages(sweeperFn.function);
    new events.Rule(this, 'SweepSchedule', { schedule: events.Schedule.rate(Duration.minutes(1)), targets: [new targets.LambdaFunction(sweeperFn.function, { retryAttempts: 0 })] });

    this.worker = new SmppWorkerService(this, 'Worker', {
      carriers: config.carriers,
      carrierQueues: Object.fromEntries(Object.entries(this.carrierQueues).map(([id, q]) => [id, q.queue])),
      table: this.table,
      retentionDays: config.retentionDays,
      retainText: config.retainText,
      lifecycle: config.lifecycle,
      tenants: config.tenants,
      defaultValiditySeconds: config.limits.defaultValiditySeconds,
      prices: config.prices,
      desiredCount: config.worker.desiredCount,
      cpu: config.worker.cpu,
      memoryMiB: config.worker.memoryMiB,
      logLevel: config.worker.logLevel,
      egress: config.network.natGateway ? { natGateway: true, eipAllocationIds: config.network.eipAllocationIds } : { natGateway: false },
      flowLogs: !local,
      image: local ? 'none' : 'asset',
    });

    this.operations = new GatewayOperations(this, 'Operations', {
      config: config.operations,
      api: this.api,
      functions: { api: apiFn.function, router: routerFn.function, outbox: outboxFn.function, webhook: webhookFn.function, sweeper: sweeperFn.function },
      ingest: this.ingest,
      carrierQueues: this.carrierQueues,
      carrierBinds: Object.fromEntries(config.carriers.map((c) => [c.id, c.binds])),
      webhooks: this.webhooks,
      outboxFailures,
      workerService: this.worker.service,
      workerDesiredCount: local ? 0 : config.worker.desiredCount,
      metricMathAlarms: !local,
      tenantQuotas: Object.fromEntries(config.tenants.filter((t) => t.quota !== undefined).map((t) => [t.id, Object.keys(t.quota!)])),
    });

    const output = (id: string, value: string) => new CfnOutput(this, id, { value });
    output('ApiUrl', this.api.url);
    output('ApiBaseUrl', apiBaseUrl);
    output('ApiId', this.api.restApiId);
    output('ApiStage', this.api.deploymentStage.stageName);
    output('TableName', table.tableName);
    output('TableStreamArn', table.tableStreamArn ?? '');
    output('IngestQueueUrl', this.ingest.queue.queueUrl);
    output('IngestDlqUrl', this.ingest.deadLetterQueue.queueUrl);
    output('OutboxFailuresQueueUrl', outboxFailures.queueUrl);
    output('CarrierQueueUrls', carrierQueueUrls);
    output('CarrierDlqUrls', JSON.stringify(Object.fromEntries(Object.entries(this.carrierQueues).map(([id, q]) => [id, q.deadLetterQueue.queueUrl]))));
    output('ApiFunctionName', apiFn.function.functionName);
    output('RouterFunctionName', routerFn.function.functionName);
    output('OutboxFunctionName', outboxFn.function.functionName);
    output('InboundTopicArn', this.inboundTopic.topicArn);
    output('StatusTopicArn', this.statusTopic.topicArn);
    // What the topic carries (statusEvents.publish): `smsgw tail` says so when it is only the callbacks' events.
    output('StatusEventsPublished', config.statusEvents.publish);
    output('WebhookQueueUrl', this.webhooks.queue.queueUrl);
    output('WebhookDlqUrl', this.webhooks.deadLetterQueue.queueUrl);
    output('WebhookSecretArns', JSON.stringify(Object.fromEntries(Object.entries(this.webhookSecrets).map(([id, sec]) => [id, sec.secretArn]))));
    output('WebhookFunctionName', webhookFn.function.functionName);
    output('SweeperFunctionName', sweeperFn.function.functionName);
    output('WorkerClusterName', this.worker.cluster.clusterName);
    output('WorkerServiceName', this.worker.service.serviceName);
    // The worker's source addresses toward the carriers, for their whitelists (named allocations: their own IPs).
    if (this.worker.egressIps.length > 0) output('EgressIps', Fn.join(',', this.worker.egressIps));
    if (this.worker.egressAllocationIds.length > 0) output('EgressEipAllocationIds', Fn.join(',', this.worker.egressAllocationIds));
    output('AlertsTopicArn', this.operations.alertsTopic.topicArn);
    output('DashboardName', this.operations.dashboard.dashboardName);

    acknowledgeNagFindings(this, local);
  }
}
