import * as path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { WORKER_VPC_AZS, type CarrierConfig, type PricesConfig } from '../../core/config/schema';
import { METRICS_NAMESPACE } from '../../core/util/metric-names';
import type { InboundTenant } from '../../core/domain/number-ownership';
import { passwordVariable, workerTenants } from '../../worker/settings';
import { REPO_ROOT } from './gateway-function';
import { MessageTable } from './message-table';

/**
 * How the worker image is built: worker/Dockerfile, with the repository root as
 * context narrowed by /.dockerignore (an allowlist of what the Dockerfile copies,
 * which CDK fingerprints by the same rules), for ARM64 like the task definition.
 */
export const WORKER_IMAGE_ASSET = { file: path.join('worker', 'Dockerfile'), platform: Platform.LINUX_ARM64 } as const;

/** The base image's "node" user by number, as the Dockerfile's USER names it. */
export const WORKER_USER = '1000:1000';

export type WorkerEgress =
  /** Public subnets and a public IP per task: no fixed egress IP (emulators cannot create a NAT gateway). */
  | { readonly natGateway: false }
  /**
   * Private subnets behind NAT gateways: one per given Elastic IP allocation (at
   * most one per availability zone, WORKER_VPC_AZS), or one with an address the
   * stack allocates. Named allocations outlive the stack, and so does the IP.
   */
  | { readonly natGateway: true; readonly eipAllocationIds?: readonly string[] };

export interface SmppWorkerServiceProps {
  readonly carriers: readonly CarrierConfig[];
  /** Carrier id → its queue. */
  readonly carrierQueues: Readonly<Record<string, sqs.IQueue>>;
  readonly table: MessageTable;
  readonly retentionDays: number;
  /** The config's retainText: keep a message's text after SUBMITTED. */
  readonly retainText: boolean;
  readonly lifecycle: { receiptTimeoutSeconds: number; retryBaseSeconds: number; retryMaxSeconds: number };
  /** The tenants' numbers and opt-out settings: inbound messages are given to the tenant that owns their number. */
  readonly tenants: readonly InboundTenant[];
  /** The validity of a keyword's reply (limits.defaultValiditySeconds). */
  readonly defaultValiditySeconds: number;
  /** The config's price table: the worker prices the replies it writes. */
  readonly prices?: PricesConfig | undefined;
  /**
   * Tasks to run. They share each carrier's binds through bind leases: one holds a bind, the
   * others stand by to take it over, in another availability zone. @default 2
   */
  readonly desiredCount?: number;
  /** @default 512 */
  readonly cpu?: number;
  /** @default 1024 */
  readonly memoryMiB?: number;
  /** The worker's LOG_LEVEL (worker/log.ts). @default 'INFO' */
  readonly logLevel?: 'INFO' | 'DEBUG';
  /**
   * How the tasks reach the carriers. Behind NAT gateways, every connection
   * leaves from the gateways' Elastic IPs, which carriers whitelist.
   * @default { natGateway: true } (one NAT gateway with an address the stack allocates)
   */
  readonly egress?: WorkerEgress;
  /** VPC flow logs of rejected traffic. Emulators cannot create them. @default true */
  readonly flowLogs?: boolean;
  /**
   * Image source. 'asset' builds worker/Dockerfile at deploy time (needs
   * Docker where `cdk deploy` runs, not at synth). 'none' is for emulators,
   * which cannot run containers: the service is defined with a placeholder
   * image and no tasks, and the worker runs as a local Node process.
   * @default 'asset'
   */
  readonly image?: 'asset' | 'none';
}

/**
 * What a worker task does between SIGTERM and its exit, at most, in seconds; ECS's stop
 * timeout is their sum, so SIGKILL never cuts a release short (docs/design.md#deploying-with-bind-leases):
 * - poll: the long poll in progress is not aborted (POLL_WAIT_SECONDS),
 * - drain: the submissions in flight get their submit_sm_resp (DRAIN_SECONDS),
 * - unbind: unbind_resp on every bind (at most 5 s, worker/smpp),
 * - releaseLeases: one conditional write per lease held, so a standby binds at once instead of
 *   after the lease TTL,
 * - flush: the pending SMSC-id mappings, the queue deletions, the last heartbeat and metrics.
 */
export const WORKER_STOP_BUDGET_SECONDS = { poll: 20, drain: 25, unbind: 5, releaseLeases: 5, flush: 5 } as const;

/**
 * The SMPP worker as an ECS Fargate service on arm64: private subnets with NAT
 * egress in two availability zones, tasks spread and rebalanced across them,
 * least-privilege task role (its carrier queues and the table),
 * SMPP passwords injected from Secrets Manager, deployments that start the new
 * tasks before stopping the old (circuit breaker with rollback), and a stop
 * timeout long enough to drain, unbind and release the bind leases. The task
 * role may also put metrics, in the gateway's namespace only.
 */
export class SmppWorkerService extends Construct {
  public readonly vpc: ec2.Vpc;
  public readonly cluster: ecs.Cluster;
  public readonly service: ecs.FargateService;
  public readonly taskDefinition: ecs.FargateTaskDefinition;
  public readonly logGroup: logs.LogGroup;
  /** Allocation ids of the NAT gateways' Elastic IPs (none without NAT). */
  public readonly egressAllocationIds: string[];
  /** The NAT gateways' public IPs where the stack allocates them; named allocations are the operator's own. */
  public readonly egressIps: string[];

  /** Seconds ECS waits after SIGTERM before SIGKILL: the sum of WORKER_STOP_BUDGET_SECONDS. */
  public static readonly STOP_TIMEOUT_SECONDS = Object.values(WORKER_STOP_BUDGET_SECONDS).reduce((a, b) => a + b, 0);

  constructor(scope: Construct, id: string, props: SmppWorkerServiceProps) {
    super(scope, id);
    const egress = props.egress ?? { natGateway: true };
    const nat = egress.natGateway;
    const givenEips = egress.natGateway ? egress.eipAllocationIds : undefined;
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: WORKER_VPC_AZS,
      natGateways: nat ? (givenEips?.length ?? 1) : 0,
      natGatewayProvider: ec2.NatProvider.gateway(givenEips ? { eipAllocationIds: [...givenEips] } : {}),
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        ...(nat ? [{ name: 'workers', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 }] : []),
      ],
      flowLogs: props.flowLogs === false ? {} : { rejected: { trafficType: ec2.FlowLogTrafficType.REJECT } },
    });
    // Without named allocations the VPC allocates one EIP per NAT gateway, in that gateway's public subnet.
    const allocated = this.vpc.publicSubnets.flatMap((subnet) => subnet.node.children.filter((c): c is ec2.CfnEIP => c instanceof ec2.CfnEIP));
    this.egressAllocationIds = givenEips ? [...givenEips] : allocated.map((eip) => eip.attrAllocationId);
    this.egressIps = givenEips ? [] : allocated.map((eip) => eip.attrPublicIp);
    this.cluster = new ecs.Cluster(this, 'Cluster', { vpc: this.vpc, containerInsightsV2: ecs.ContainerInsights.ENABLED });

    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'Task', {
      cpu: props.cpu ?? 512,
      memoryLimitMiB: props.memoryMiB ?? 1024,
      runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.ARM64, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
    });
    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });

    const secrets: Record<string, ecs.Secret> = {};
    for (const carrier of props.carriers) {
      if (!carrier.passwordSecret) continue;
      const secret = carrier.passwordSecret.startsWith('arn:')
        ? secretsmanager.Secret.fromSecretCompleteArn(this, `Secret-${carrier.id}`, carrier.passwordSecret)
        : secretsmanager.Secret.fromSecretNameV2(this, `Secret-${carrier.id}`, carrier.passwordSecret);
      secrets[passwordVariable(carrier.id)] = ecs.Secret.fromSecretsManager(secret);
    }
    // Passwords never travel in the carrier JSON: only the secret reference does.
    const carriersForTask = props.carriers.map(({ password: _password, ...rest }) => rest);
    const image =
      props.image === 'none'
        ? ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/node:22-bookworm-slim')
        : ecs.ContainerImage.fromAsset(REPO_ROOT, WORKER_IMAGE_ASSET);

    this.taskDefinition.addContainer('worker', {
      image,
      essential: true,
      logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'worker', logGroup: this.logGroup }),
      environment: {
        TABLE_NAME: props.table.table.tableName,
        CARRIER_QUEUE_URLS: JSON.stringify(Object.fromEntries(Object.entries(props.carrierQueues).map(([cid, q]) => [cid, q.queueUrl]))),
        WORKER_CARRIERS: JSON.stringify(carriersForTask),
        WORKER_TENANTS: workerTenants(props.tenants),
        DEFAULT_VALIDITY_SECONDS: String(props.defaultValiditySeconds),
        WORKER_PRICES: props.prices ? JSON.stringify(props.prices) : '',
        RETENTION_DAYS: String(props.retentionDays),
        RETAIN_TEXT: String(props.retainText),
        RECEIPT_TIMEOUT_SECONDS: String(props.lifecycle.receiptTimeoutSeconds),
        RETRY_BASE_SECONDS: String(props.lifecycle.retryBaseSeconds),
        RETRY_MAX_SECONDS: String(props.lifecycle.retryMaxSeconds),
        // Their parts of the stop timeout (WORKER_STOP_BUDGET_SECONDS).
        POLL_WAIT_SECONDS: String(WORKER_STOP_BUDGET_SECONDS.poll),
        DRAIN_SECONDS: String(WORKER_STOP_BUDGET_SECONDS.drain),
        HEALTH_PORT: '8080',
        LOG_LEVEL: props.logLevel ?? 'INFO',
      },
      secrets,
      stopTimeout: Duration.seconds(SmppWorkerService.STOP_TIMEOUT_SECONDS),
      readonlyRootFilesystem: true,
      user: WORKER_USER,
      healthCheck: {
        command: ['CMD', 'node', '-e', "fetch('http://127.0.0.1:8080/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"],
        interval: Duration.seconds(15),
        timeout: Duration.seconds(3),
        startPeriod: Duration.seconds(20),
        retries: 3,
      },
    });

    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', { vpc: this.vpc, description: 'SMPP worker: outbound to carriers and AWS APIs only', allowAllOutbound: true });
    const subnets = this.vpc.selectSubnets({ subnetType: nat ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PUBLIC });
    // A standby in the zone of the lease holder is no standby when that zone goes.
    if (new Set(subnets.availabilityZones).size < 2) {
      throw new Error(`SmppWorkerService: the worker's subnets span ${subnets.availabilityZones.length} availability zone(s); its tasks need at least 2 to stand in for each other`);
    }
    this.service = new ecs.FargateService(this, 'Service', {
      cluster: this.cluster,
      taskDefinition: this.taskDefinition,
      desiredCount: props.image === 'none' ? 0 : (props.desiredCount ?? 2),
      assignPublicIp: !nat,
      vpcSubnets: subnets,
      securityGroups: [securityGroup],
      // A deployment starts the new tasks first (up to 200%) and stops an old one only once they are
      // healthy (never under 100%): they come up as hot standbys, and bind as the old tasks release
      // their leases on SIGTERM. Leases, not ECS, keep the binds within the carrier's limit.
      circuitBreaker: { enable: true, rollback: true },
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      enableExecuteCommand: false,
    });
    // ECS spreads a service's tasks across its zones; rebalancing moves them back after a zone
    // outage or a scale-in left them in one. FargateService has no property for it (Ec2Service has):
    // set it on the resource, explicitly, since an update leaves an existing service's setting alone.
    (this.service.node.defaultChild as ecs.CfnService).availabilityZoneRebalancing = 'ENABLED';

    // Tasks started before their subnets' default routes exist cannot pull the image, read their secrets or reach a
    // carrier: the deployment fails its health checks and the circuit breaker rolls it back. Start after the routes.
    this.service.node.addDependency(subnets.internetConnectivityEstablished);

    // Least privilege: only its carrier queues and the item operations it performs (inbound messages are items: the outbox publishes them).
    // PutItem and UpdateItem cover the keywords too: a reply's message record, an opt-out's item (worker/keyword-handler.ts).
    const role = this.taskDefinition.taskRole;
    for (const q of Object.values(props.carrierQueues)) q.grantConsumeMessages(role);
    // BatchGetItem and the PartiQL writes: the coalesced delivery path (core/aws/submitted-writes.ts, receipt-writes.ts).
    props.table.grantItems(role, 'GetItem', 'BatchGetItem', 'PutItem', 'UpdateItem', 'Query', 'PartiQLUpdate', 'PartiQLInsert');
    // Metrics (worker/metrics.ts). PutMetricData has no resource-level permissions: the namespace condition is the scope.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['cloudwatch:PutMetricData'], resources: ['*'], conditions: { StringEquals: { 'cloudwatch:namespace': METRICS_NAMESPACE } } }),
    );
  }
}
