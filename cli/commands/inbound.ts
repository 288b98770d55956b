/** smsgw inbound: the tenant's inbound messages through GET /v1/inbound, newest first. */
import { apiClient } from '../api-client';
import type { CommandOf, GlobalOptions } from '../command-line';
import type { CliConfig } from '../config';
import type { Io } from '../io';
import { formatInbound } from '../output';
import { collectPages } from '../paged-list';

/** Up to --limit messages, page after page; --json prints them as one JSON array. */
export async function inbound(cmd: CommandOf<'inbound'>, opts: GlobalOptions, config: CliConfig, io: Io): Promise<number> {
  const filters = { ...(cmd.to !== undefined ? { to: cmd.to } : {}), ...(cmd.from !== undefined ? { from: cmd.from } : {}), ...(cmd.since !== undefined ? { since: cmd.since } : {}) };
  const all = await collectPages(apiClient(config, io.fetch), '/v1/inbound', 'inbound', filters, cmd.limit);
  if (opts.json) io.stdout.write(`${JSON.stringify(all)}\n`);
  else io.stdout.write(all.length === 0 ? 'no inbound messages\n' : `${all.map(formatInbound).join('\n')}\n`);
  return 0;
}
