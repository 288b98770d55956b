/** smsgw send: one message; with --wait, followed to a final status (exit 3 unless DELIVERED). */
import { apiClient } from '../api-client';
import type { CommandOf, GlobalOptions } from '../command-line';
import type { CliConfig } from '../config';
import { sleep, type Io } from '../io';
import { isFinalStatus, parseMessageView } from '../message-view';
import { formatAccepted, formatMessage } from '../output';
import { progress } from '../progress';

export async function send(cmd: CommandOf<'send'>, opts: GlobalOptions, config: CliConfig, io: Io): Promise<number> {
  const api = apiClient(config, io.fetch);
  const accepted = await api.request('POST', '/v1/messages', {
    to: cmd.to,
    text: cmd.text,
    ...(cmd.from !== undefined ? { from: cmd.from } : {}),
    ...(cmd.reference !== undefined ? { reference: cmd.reference } : {}),
    ...(cmd.callbackUrl !== undefined ? { callbackUrl: cmd.callbackUrl } : {}),
    ...(cmd.sendAt !== undefined ? { sendAt: cmd.sendAt } : {}),
  });
  const first = parseMessageView(accepted);
  if (!cmd.wait) {
    io.stdout.write(opts.json ? `${JSON.stringify(accepted)}\n` : `${formatAccepted(first)}\n`);
    return 0;
  }
  const spinner = progress(io);
  const deadline = Date.now() + cmd.timeoutSeconds * 1000;
  let stopped = false;
  void io.interrupted.then(() => (stopped = true));
  let view = first;
  let raw: unknown = accepted;
  try {
    spinner.update(`${first.id} ${first.status}`);
    while (!isFinalStatus(view.status)) {
      if (stopped) throw new Error(`interrupted; ${first.id} is ${view.status}`);
      if (Date.now() > deadline) throw new Error(`timed out after ${cmd.timeoutSeconds} s; ${first.id} is ${view.status}`);
      await sleep(500, io.interrupted);
      raw = await api.request('GET', `/v1/messages/${encodeURIComponent(first.id)}`);
      view = parseMessageView(raw);
      spinner.update(`${first.id} ${view.status}${view.carrierId ? ` via ${view.carrierId}` : ''}`);
    }
  } finally {
    spinner.done();
  }
  io.stdout.write(opts.json ? `${JSON.stringify(raw)}\n` : `${formatMessage(view)}\n`);
  return view.status === 'DELIVERED' ? 0 : 3;
}
