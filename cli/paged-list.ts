/**
 * The newest `limit` items of a list endpoint (GET /v1/messages, /v1/inbound), page after page:
 * each page asks for what is still missing (at most the API's 100) and follows `nextCursor`.
 */
import * as z from 'zod/mini';
import type { apiClient } from './api-client';

/** The API's largest page. */
const MAX_PAGE = 100;

export async function collectPages(client: ReturnType<typeof apiClient>, path: string, field: string, filters: Record<string, string>, limit: number): Promise<unknown[]> {
  const Page = z.object({ [field]: z.array(z.unknown()), nextCursor: z.optional(z.string()) });
  const found: unknown[] = [];
  let cursor: string | undefined;
  do {
    const query = new URLSearchParams({ ...filters, limit: String(Math.min(MAX_PAGE, limit - found.length)), ...(cursor !== undefined ? { cursor } : {}) });
    const page = Page.parse(await client.request('GET', `${path}?${query.toString()}`)) as Record<string, unknown[]> & { nextCursor?: string };
    found.push(...page[field]!);
    cursor = page.nextCursor;
  } while (cursor !== undefined && found.length < limit);
  return found;
}
