/** smsgw list: the tenant's messages, newest first, through GET /v1/messages. */
import * as z from 'zod/mini';
import { apiClient } from '../api-client';
import type { CommandOf, GlobalOptions } from '../command-line';
import type { CliConfig } from '../config';
import type { Io } from '../io';
import { parseMessageView } from '../message-view';
import { formatListedMessage } from '../output';

const Page = z.object({ messages: z.array(z.unknown()), nextCursor: z.optional(z.string()) });
/** The API's largest page. */
const PAGE = 100;

/** The newest `limit` messages that match, page after page; --json prints them as one JSON array. */
export async function list(cmd: CommandOf<'list'>, opts: GlobalOptions, config: CliConfig, io: Io): Promise<number> {
  const client = apiClient(config, io.fetch);
  const filters = { ...(cmd.to ? { to: cmd.to } : {}), ...(cmd.from ? { from: cmd.from } : {}), ...(cmd.status ? { status: cmd.status } : {}), ...(cmd.since ? { since: cmd.since } : {}), ...(cmd.until ? { until: cmd.until } : {}) };
  const found: unknown[] = [];
  let cursor: string | undefined;
  do {
    const query = new URLSearchParams({ ...filters, limit: String(Math.min(PAGE, cmd.limit - found.length)), ...(cursor !== undefined ? { cursor } : {}) });
    const page = Page.parse(await client.request('GET', `/v1/messages?${query.toString()}`));
    found.push(...page.messages);
    cursor = page.nextCursor;
  } while (cursor !== undefined && found.length < cmd.limit);
  if (opts.json) io.stdout.write(`${JSON.stringify(found)}\n`);
  else io.stdout.write(found.length === 0 ? 'no messages match\n' : `${found.map((m) => formatListedMessage(parseMessageView(m))).join('\n')}\n`);
  return 0;
}
