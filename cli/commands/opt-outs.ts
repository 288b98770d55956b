/** smsgw opt-outs list|add|remove: the tenant's opt-outs through /v1/opt-outs. */
import * as z from 'zod/mini';
import { apiClient } from '../api-client';
import type { CommandOf, GlobalOptions } from '../command-line';
import type { CliConfig } from '../config';
import type { Io } from '../io';
import { formatOptOut } from '../output';

const Page = z.object({ optOuts: z.array(z.unknown()), nextCursor: z.optional(z.string()) });

/** Every opt-out in force, page after page; --json prints them as one JSON array. */
export async function optOutsList(opts: GlobalOptions, config: CliConfig, io: Io): Promise<number> {
  const client = apiClient(config, io.fetch);
  const all: unknown[] = [];
  let cursor: string | undefined;
  do {
    const page = Page.parse(await client.request('GET', `/v1/opt-outs?limit=100${cursor !== undefined ? `&cursor=${encodeURIComponent(cursor)}` : ''}`));
    all.push(...page.optOuts);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  if (opts.json) io.stdout.write(`${JSON.stringify(all)}\n`);
  else io.stdout.write(all.length === 0 ? 'no opt-outs in force\n' : `${all.map(formatOptOut).join('\n')}\n`);
  return 0;
}

/** PUT /v1/opt-outs/{number}: prints the opt-out, new or in force already. */
export async function optOutsAdd(cmd: CommandOf<'opt-outs-add'>, opts: GlobalOptions, config: CliConfig, io: Io): Promise<number> {
  const body = cmd.sender !== undefined ? { sender: cmd.sender } : {};
  const optOut = await apiClient(config, io.fetch).request('PUT', `/v1/opt-outs/${encodeURIComponent(cmd.number)}`, body);
  io.stdout.write(opts.json ? `${JSON.stringify(optOut)}\n` : `${formatOptOut(optOut)}\n`);
  return 0;
}

/** DELETE /v1/opt-outs/{number}: 0 when removed; the API's 404 (none in force) is an error, exit 1. */
export async function optOutsRemove(cmd: CommandOf<'opt-outs-remove'>, opts: GlobalOptions, config: CliConfig, io: Io): Promise<number> {
  const query = cmd.sender !== undefined ? `?sender=${encodeURIComponent(cmd.sender)}` : '';
  await apiClient(config, io.fetch).request('DELETE', `/v1/opt-outs/${encodeURIComponent(cmd.number)}${query}`);
  io.stdout.write(opts.json ? `${JSON.stringify({ number: cmd.number, removed: true })}\n` : `removed the opt-out of ${cmd.number}\n`);
  return 0;
}
