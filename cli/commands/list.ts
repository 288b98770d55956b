/** smsgw list: the tenant's messages, newest first, through GET /v1/messages. */
import { apiClient } from '../api-client';
import type { CommandOf, GlobalOptions } from '../command-line';
import type { CliConfig } from '../config';
import type { Io } from '../io';
import { parseMessageView } from '../message-view';
import { formatListedMessage } from '../output';
import { collectPages } from '../paged-list';

/** The newest `limit` messages that match, page after page; --json prints them as one JSON array. */
export async function list(cmd: CommandOf<'list'>, opts: GlobalOptions, config: CliConfig, io: Io): Promise<number> {
  const filters = { ...(cmd.to ? { to: cmd.to } : {}), ...(cmd.from ? { from: cmd.from } : {}), ...(cmd.status ? { status: cmd.status } : {}), ...(cmd.since ? { since: cmd.since } : {}), ...(cmd.until ? { until: cmd.until } : {}) };
  const found = await collectPages(apiClient(config, io.fetch), '/v1/messages', 'messages', filters, cmd.limit);
  if (opts.json) io.stdout.write(`${JSON.stringify(found)}\n`);
  else io.stdout.write(found.length === 0 ? 'no messages match\n' : `${found.map((m) => formatListedMessage(parseMessageView(m))).join('\n')}\n`);
  return 0;
}
