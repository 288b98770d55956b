/** smsgw usage: GET /v1/usage as a table (the tenant's messages, segments and spend). */
import { apiClient } from '../api-client';
import type { CommandOf, GlobalOptions } from '../command-line';
import type { CliConfig } from '../config';
import type { Io } from '../io';
import { formatUsageTable, parseUsageView } from '../output';

export async function usage(cmd: CommandOf<'usage'>, opts: GlobalOptions, config: CliConfig, io: Io): Promise<number> {
  const query = new URLSearchParams({ ...(cmd.from ? { from: cmd.from } : {}), ...(cmd.to ? { to: cmd.to } : {}), ...(cmd.groupBy ? { groupBy: cmd.groupBy } : {}) }).toString();
  const raw = await apiClient(config, io.fetch).request('GET', `/v1/usage${query ? `?${query}` : ''}`);
  io.stdout.write(opts.json ? `${JSON.stringify(raw)}\n` : `${formatUsageTable(parseUsageView(raw))}\n`);
  return 0;
}
