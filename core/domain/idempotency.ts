/**
 * Idempotency without a separate table: a message submitted with an
 * Idempotency-Key gets an id derived from (tenant, key, position), so a replay
 * hits the same record and the conditional create returns the first one. The
 * record keeps the hash of the request that made it, so the same key with a
 * different body is recognised and refused.
 */
import { createHash, randomUUID } from 'node:crypto';

export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

function uuidFromDigest(digest: Buffer): string {
  const b = Buffer.from(digest.subarray(0, 16));
  b[6] = (b[6]! & 0x0f) | 0x80; // version 8: custom (RFC 9562)
  b[8] = (b[8]! & 0x3f) | 0x80; // variant 10
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** A new message id: random, or derived from the idempotency key when there is one. */
export function messageId(tenantId: string, idempotencyKey: string | undefined, position = 0): string {
  if (idempotencyKey === undefined) return randomUUID();
  return uuidFromDigest(createHash('sha256').update(`${tenantId}\n${idempotencyKey}\n${position}`).digest());
}

/** JSON with object keys sorted, so equal bodies hash equally whatever their key order or spacing. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function requestHash(route: string, body: unknown): string {
  return createHash('sha256').update(`${route}\n${canonicalJson(body)}`).digest('hex');
}
