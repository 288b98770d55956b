/**
 * Carrier heartbeats: the SMPP worker writes one item per carrier (per task)
 * every few seconds; the router and dry runs read them to fail over.
 *
 *   heartbeat (table-keys.ts heartbeatKey)
 *     carrierId, taskId, bindsUp, bindsConfigured, slots (bind slots leased), lastError?, updatedAt (ISO), expiresAt (TTL)
 *
 * Tasks share a carrier's binds (bind leases): the router reads the sum of bindsUp
 * over the heartbeats fresher than staleAfterSeconds, and a carrier is healthy while
 * that sum is above zero.
 */
import { PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import type { HealthCheck } from '../domain/routing';
import { dynamo } from './clients';
import { heartbeatKey, heartbeatsOf, ItemKind } from './table-keys';

export const Heartbeat = z.object({
  carrierId: z.string(),
  taskId: z.string(),
  bindsUp: z.int().check(z.gte(0)),
  bindsConfigured: z.int().check(z.gte(0)),
  /** The bind slots whose leases the task holds. */
  slots: z.optional(z.array(z.int().check(z.gte(0)))),
  /** The task is stopping: it takes no lease any more. */
  draining: z.optional(z.boolean()),
  lastError: z.optional(z.string()),
  updatedAt: z.iso.datetime(),
});
export type Heartbeat = z.infer<typeof Heartbeat>;

/** Binds up across every task whose heartbeat is fresh: the carrier's binds, however the tasks share them. */
export function bindsUpAcrossTasks(beats: Heartbeat[], now: Date, staleAfterSeconds: number): number {
  return beats.reduce((sum, b) => (now.getTime() - Date.parse(b.updatedAt) <= staleAfterSeconds * 1000 ? sum + b.bindsUp : sum), 0);
}

/** Tasks serving the carrier now: fresh heartbeats of tasks not stopping (standbys included). */
export function liveTasks(beats: Heartbeat[], now: Date, staleAfterSeconds: number): number {
  return beats.filter((b) => !b.draining && now.getTime() - Date.parse(b.updatedAt) <= staleAfterSeconds * 1000).length;
}

/** A carrier is healthy while some task holds a bind of it. */
export function isHealthy(beats: Heartbeat[], now: Date, staleAfterSeconds: number): boolean {
  return bindsUpAcrossTasks(beats, now, staleAfterSeconds) > 0;
}

export class CarrierHealth {
  private cache: { at: number; check: HealthCheck } | undefined;

  constructor(
    private readonly tableName: string,
    private readonly carrierIds: readonly string[],
    private readonly staleAfterSeconds: number,
    private readonly cacheMs = 5_000,
    private readonly client: DynamoDBDocumentClient = dynamo(),
  ) {}

  async heartbeats(carrierId: string): Promise<Heartbeat[]> {
    const { pk, skPrefix } = heartbeatsOf(carrierId);
    const out = await this.client.send(
      new QueryCommand({ TableName: this.tableName, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :sk)', ExpressionAttributeValues: { ':pk': pk, ':sk': skPrefix } }),
    );
    return (out.Items ?? []).flatMap((item) => {
      const parsed = Heartbeat.safeParse(item);
      return parsed.success ? [parsed.data] : [];
    });
  }

  /** A health check over all carriers, read at most every cacheMs. */
  async current(now = new Date()): Promise<HealthCheck> {
    if (this.cache && now.getTime() - this.cache.at < this.cacheMs) return this.cache.check;
    const entries = await Promise.all(this.carrierIds.map(async (id) => [id, isHealthy(await this.heartbeats(id), now, this.staleAfterSeconds)] as const));
    const healthy = new Map(entries);
    const check: HealthCheck = (id) => healthy.get(id) ?? false;
    this.cache = { at: now.getTime(), check };
    return check;
  }

  async write(beat: Heartbeat, ttlSeconds = 86_400): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...heartbeatKey(beat.carrierId, beat.taskId), kind: ItemKind.heartbeat, ...beat, expiresAt: Math.floor(Date.now() / 1000) + ttlSeconds },
      }),
    );
  }
}
