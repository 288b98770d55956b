/** smsgw status: a message's status, receipt and history. */
import { apiClient } from '../api-client';
import type { CommandOf, GlobalOptions } from '../command-line';
import type { CliConfig } from '../config';
import type { Io } from '../io';
import { parseMessageView } from '../message-view';
import { formatMessage } from '../output';

export async function status(cmd: CommandOf<'status'>, opts: GlobalOptions, config: CliConfig, io: Io): Promise<number> {
  const raw = await apiClient(config, io.fetch).request('GET', `/v1/messages/${encodeURIComponent(cmd.id)}`);
  io.stdout.write(opts.json ? `${JSON.stringify(raw)}\n` : `${formatMessage(parseMessageView(raw))}\n`);
  return 0;
}
