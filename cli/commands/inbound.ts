/** smsgw inbound: the tenant's inbound messages through GET /v1/inbound, newest first. */
import * as z from 'zod/mini';
import { apiClient } from '../api-client';
import type { CommandOf, GlobalOptions } from '../command-line';
import type { CliConfig } from '../config';
import type { Io } from '../io';
import { formatInbound } from '../output';

const Page = z.object({ inbound: z.array(z.unknown()), nextCursor: z.optional(z.string()) });
/** The API's largest page. */
const MAX_PAGE = 100;

/** Up to --limit messages, page after page; --json prints them as one JSON array. */
export async function inbound(cmd: CommandOf<'inbound'>, opts: GlobalOptions, config: CliConfig, io: Io): Promise<number> {
  const client = apiClient(config, io.fetch);
  const filters = { ...(cmd.to !== undefined ? { to: cmd.to } : {}), ...(cmd.from !== undefined ? { from: cmd.from } : {}), ...(cmd.since !== undefined ? { since: cmd.since } : {}) };
  const all: unknown[] = [];
  let cursor: string | undefined;
  do {
    const query = new URLSearchParams({ ...filters, limit: String(Math.min(MAX_PAGE, cmd.limit - all.length)), ...(cursor !== undefined ? { cursor } : {}) });
    const page = Page.parse(await client.request('GET', `/v1/inbound?${query.toString()}`));
    all.push(...page.inbound);
    cursor = page.nextCursor;
  } while (cursor !== undefined && all.length < cmd.limit);
  if (opts.json) io.stdout.write(`${JSON.stringify(all)}\n`);
  else io.stdout.write(all.length === 0 ? 'no inbound messages\n' : `${all.map(formatInbound).join('\n')}\n`);
  return 0;
}
