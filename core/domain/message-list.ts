/**
 * The list of a tenant's messages, newest first (GET /v1/messages), on the sparse
 * `list` index: every message record carries `listShard` (`<tenant>#<n>`) and
 * `listAt` (`<createdAt>#<id>`, unique, so the order is total even within a
 * batch, whose messages share one createdAt).
 *
 * Why shards: one index partition takes about 1,000 writes a second, and a
 * throttled index write throttles the table write with it; LIST_SHARDS partitions
 * per tenant carry LIST_SHARDS times that. A page therefore queries every shard
 * and merges them, which this module does without the AWS SDK:
 *
 * - Each shard's query returns its items newest first and, when it has more, the
 *   key it stopped at (its frontier). Nothing of that shard newer than its
 *   frontier is missing, so the merged items at or above the highest frontier
 *   are complete; those below it wait for the next page (`mergeShardPages`).
 * - The cursor records, for every shard, where it goes on: a start key, done, or
 *   from the top.
 *
 * Only the item's immutable attributes are in the index (`to`, `from`, besides the
 * keys): a status change never writes to it, so the index costs one write per
 * message, at its creation.
 */
import { messageKey } from '../aws/table-keys';

/** The index's name (lib/constructs/message-table.ts creates it). */
export const LIST_INDEX = 'list';
export const LIST_SHARDS = 4;

/** The index partition of a tenant's message. */
export function listShard(tenantId: string, id: string): string {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) >>> 0;
  return `${tenantId}#${h % LIST_SHARDS}`;
}

export function allListShards(tenantId: string): string[] {
  return Array.from({ length: LIST_SHARDS }, (_, i) => `${tenantId}#${i}`);
}

/** The index sort key: creation time, then id. */
export const listAt = (createdAt: string, id: string): string => `${createdAt}#${id}`;

/** The index key of an item: the table's keys and the index's. */
export interface ListKey {
  pk: string;
  sk: string;
  listShard: string;
  listAt: string;
}

/** Where a shard goes on: from the top (`undefined`), after a key, or nowhere. */
export type ShardPosition = ListKey | 'done' | undefined;

/** One shard's query result: its items newest first, and the key it stopped at when it has more. */
export interface ShardPage<T extends { listAt: string }> {
  items: T[];
  lastKey?: ListKey;
}

/**
 * Merges one query per shard into a page of at most `limit` items, newest first, and
 * where each shard goes on. `pages[i]` is shard i's result; a shard that was done
 * before (`positions[i] === 'done'`) has an empty page.
 */
export function mergeShardPages<T extends ListKey>(
  pages: readonly ShardPage<T>[],
  positions: readonly ShardPosition[],
  limit: number,
): { items: T[]; positions: ShardPosition[] } {
  // The highest frontier among shards with more to give: below it, some shard may still hold newer items.
  const frontiers = pages.flatMap((p) => (p.lastKey ? [p.lastKey.listAt] : []));
  const cut = frontiers.length > 0 ? frontiers.reduce((a, b) => (a > b ? a : b)) : '';
  const eligible = pages.flatMap((p, shard) => p.items.filter((i) => i.listAt >= cut).map((item) => ({ item, shard })));
  eligible.sort((a, b) => (a.item.listAt < b.item.listAt ? 1 : a.item.listAt > b.item.listAt ? -1 : 0));
  const taken = eligible.slice(0, limit);
  // A shard's items on the page are a prefix of what it returned (both lists are newest first).
  const next = pages.map((page, shard): ShardPosition => {
    if (positions[shard] === 'done') return 'done';
    const mine = taken.filter((t) => t.shard === shard);
    // All it returned is on this page: it goes on where its query stopped.
    if (mine.length === page.items.length) return page.lastKey ?? 'done';
    // Some of its items wait for the next page: it goes on after the last one taken, or where it started.
    const last = mine.at(-1)?.item;
    return last ? keyOf(last) : positions[shard];
  });
  return { items: taken.map((t) => t.item), positions: next };
}

const keyOf = (i: ListKey): ListKey => ({ pk: i.pk, sk: i.sk, listShard: i.listShard, listAt: i.listAt });

const LIST_AT = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?Z#[0-9a-f-]{36}$/;

/** The opaque cursor of the next page: for each shard its `listAt` to go on after, `true` when done, `null` from the top. */
export function encodeListCursor(positions: readonly ShardPosition[]): string | undefined {
  if (positions.every((p) => p === 'done')) return undefined;
  const compact = positions.map((p) => (p === 'done' ? true : p === undefined ? null : p.listAt));
  return Buffer.from(JSON.stringify(compact)).toString('base64url');
}

/**
 * The shard positions of a cursor for this tenant, or undefined when it is not a cursor this
 * API returned. The keys are rebuilt from the tenant's own shards, so a cursor never reaches
 * another tenant's messages.
 */
export function decodeListCursor(tenantId: string, cursor: string): ShardPosition[] | undefined {
  let compact: unknown;
  try {
    compact = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(compact) || compact.length !== LIST_SHARDS) return undefined;
  const shards = allListShards(tenantId);
  const positions: ShardPosition[] = [];
  for (const [i, p] of compact.entries()) {
    if (p === true) positions.push('done');
    else if (p === null) positions.push(undefined);
    else if (typeof p === 'string' && LIST_AT.test(p)) positions.push({ ...messageKey(p.slice(p.indexOf('#') + 1)), listShard: shards[i]!, listAt: p });
    else return undefined;
  }
  return positions;
}
