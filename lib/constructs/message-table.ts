import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { LIST_INDEX } from '../../core/domain/message-list';

const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'PartiQLInsert', 'PartiQLUpdate', 'PartiQLDelete']);

export interface MessageTableProps {
  /** Customer-managed key for encryption at rest. @default the AWS-owned DynamoDB key */
  readonly encryptionKey?: kms.IKey;
  /** @default RemovalPolicy.RETAIN (messages are customer data) */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The gateway's single table: message records, SMSC-id mappings, retry timers,
 * heartbeats (keys pk/sk). On-demand, point-in-time recovery, TTL on
 * `expiresAt`, and a stream with new and old images (the outbox).
 */
export class MessageTable extends Construct {
  public static readonly TTL_ATTRIBUTE = 'expiresAt';
  public static readonly DUE_INDEX = 'due';
  public static readonly LIST_INDEX = LIST_INDEX;
  public readonly table: dynamodb.Table;

  /** Item actions on the table itself, not its indexes (Table.grant would add index/*), and the key use they need. */
  grantItems(grantee: iam.IGrantable, ...actions: string[]): iam.Grant {
    this.grantKey(grantee, actions.some((a) => WRITES.has(a)));
    return iam.Grant.addToPrincipal({ grantee, actions: actions.map((a) => `dynamodb:${a}`), resourceArns: [this.table.tableArn] });
  }

  /** Query on the due index only (the sweeper). */
  grantQueryDue(grantee: iam.IGrantable): iam.Grant {
    this.grantKey(grantee, false);
    return iam.Grant.addToPrincipal({ grantee, actions: ['dynamodb:Query'], resourceArns: [`${this.table.tableArn}/index/${MessageTable.DUE_INDEX}`] });
  }

  /** Query on the list index only (GET /v1/messages). */
  grantQueryList(grantee: iam.IGrantable): iam.Grant {
    this.grantKey(grantee, false);
    return iam.Grant.addToPrincipal({ grantee, actions: ['dynamodb:Query'], resourceArns: [`${this.table.tableArn}/index/${MessageTable.LIST_INDEX}`] });
  }

  /**
   * With a customer-managed key, DynamoDB uses the key on the caller's behalf: the
   * caller needs the key actions, and only through DynamoDB (kms:ViaService).
   */
  private grantKey(grantee: iam.IGrantable, write: boolean): void {
    const key = this.table.encryptionKey;
    if (!key) return;
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['kms:Decrypt', 'kms:DescribeKey', ...(write ? ['kms:Encrypt', 'kms:GenerateDataKey'] : [])],
      resourceArns: [key.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${Stack.of(this).region}.${Stack.of(this).urlSuffix}` } },
    });
  }

  constructor(scope: Construct, id: string, props: MessageTableProps = {}) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: MessageTable.TTL_ATTRIBUTE,
      stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
      ...(props.encryptionKey
        ? { encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED, encryptionKey: props.encryptionKey }
        : { encryption: dynamodb.TableEncryption.AWS_MANAGED }),
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    // Sparse index of everything with a deadline (open messages, awaited receipts, retry timers).
    this.table.addGlobalSecondaryIndex({
      indexName: MessageTable.DUE_INDEX,
      partitionKey: { name: 'dueShard', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'dueAt', type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.INCLUDE,
      nonKeyAttributes: ['kind', 'status', 'attempt', 'messageId', 'nextAttempt'],
    });
    // Every message record by tenant and time, newest first (core/domain/message-list.ts), and every inbound
    // message (partition INBOX#<tenant>: core/aws/inbound-store.ts). One index for both: CloudFormation adds one
    // index to a table per update. Only attributes that never change are projected, so a status change never writes to it.
    this.table.addGlobalSecondaryIndex({
      indexName: MessageTable.LIST_INDEX,
      partitionKey: { name: 'listShard', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'listAt', type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.INCLUDE,
      nonKeyAttributes: ['to', 'from'],
    });
  }
}
