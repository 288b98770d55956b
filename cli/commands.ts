/**
 * smsgw — the gateway from a terminal: send a message and watch it, read a
 * message's status, follow every status event, and look after the dead-letter
 * queues.
 *
 *   smsgw send +447400123456 'Your code is 424242' --wait
 *   smsgw status 3f0c2a1e-…
 *   smsgw tail
 *   smsgw dlq list
 *   smsgw dlq redrive carrier:sim-a
 *
 * The API URL and key come from --api-url/--api-key, else SMSGW_API_URL/SMSGW_API_KEY,
 * else .local/outputs.json (written by `npm run local` / `npm run deploy:local`);
 * `tail` and `dlq` also need that file's queue URLs and topic ARN. `--json` prints
 * machine-readable output. Exit codes: 0 ok, 1 error (an API problem, a network
 * or AWS error), 2 usage, 3 `send --wait` ended in a final status other than DELIVERED.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SetQueueAttributesCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
  type Message,
  type SendMessageBatchRequestEntry,
} from '@aws-sdk/client-sqs';
import { SNSClient, SubscribeCommand, UnsubscribeCommand } from '@aws-sdk/client-sns';
import * as z from 'zod/mini';
import { localOutputsFile, parsePartialLocalOutputs, type PartialLocalOutputs } from '../core/config/local-outputs';
import { FINAL_STATUSES, STATUSES, type MessageStatus } from '../core/domain/message';

export const REPO_ROOT = resolve(__dirname, '..');
export const DEFAULT_OUTPUTS_FILE = localOutputsFile(REPO_ROOT);

export const USAGE = `Usage: smsgw <command> [options]

Commands:
  send <to> <text> [--from X] [--reference R] [--callback-url URL] [--wait] [--timeout S]
                         send one message; --wait follows it to a final status
  status <id>            a message's status, receipt and history
  tail [<id>]            follow status events (all messages, or one) until Ctrl-C
  dlq list               every dead-letter queue of the stack with its depth
  dlq redrive <queue>    move a dead-letter queue's messages back to its source queue
                         (<queue> as 'dlq list' names it: ingest, webhooks, carrier:<id>)

Options:
  --api-url URL          API base URL (else SMSGW_API_URL, else .local/outputs.json)
  --api-key KEY          API key (else SMSGW_API_KEY, else .local/outputs.json)
  --outputs FILE         stack outputs (else SMSGW_OUTPUTS, else .local/outputs.json)
  --json                 machine-readable output (one JSON document, or JSON lines for tail)
  --help                 this text

Exit codes: 0 ok, 1 error, 2 usage, 3 'send --wait' ended other than DELIVERED.
`;

// ---------------------------------------------------------------- command line

export type Command =
  | { name: 'send'; to: string; text: string; from?: string; reference?: string; callbackUrl?: string; wait: boolean; timeoutSeconds: number }
  | { name: 'status'; id: string }
  | { name: 'tail'; id?: string }
  | { name: 'dlq-list' }
  | { name: 'dlq-redrive'; queue: string }
  | { name: 'help' };

export interface GlobalOptions {
  apiUrl?: string;
  apiKey?: string;
  outputs?: string;
  json: boolean;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

const OPTIONS = {
  'api-url': { type: 'string' },
  'api-key': { type: 'string' },
  outputs: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  from: { type: 'string' },
  reference: { type: 'string' },
  'callback-url': { type: 'string' },
  wait: { type: 'boolean' },
  timeout: { type: 'string' },
} as const;

/** Which options each command accepts besides the global ones. */
const COMMAND_OPTIONS: Record<Exclude<Command['name'], 'help'>, readonly string[]> = {
  send: ['from', 'reference', 'callback-url', 'wait', 'timeout'],
  status: [],
  tail: [],
  'dlq-list': [],
  'dlq-redrive': [],
};
const GLOBAL_OPTIONS = ['api-url', 'api-key', 'outputs', 'json', 'help'];

/**
 * Parses the arguments after `smsgw`. Throws UsageError with a message that
 * names the problem (unknown command, missing argument, option not allowed here).
 *
 * @example parseCommandLine(['send', '+447400123456', 'Hi', '--wait']) // { command: { name: 'send', …, wait: true }, options: { json: false } }
 */
export function parseCommandLine(argv: readonly string[]): { command: Command; options: GlobalOptions } {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true; args: string[] }>>;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  const options: GlobalOptions = {
    json: values.json ?? false,
    ...(values['api-url'] !== undefined ? { apiUrl: values['api-url'] } : {}),
    ...(values['api-key'] !== undefined ? { apiKey: values['api-key'] } : {}),
    ...(values.outputs !== undefined ? { outputs: values.outputs } : {}),
  };
  if (values.help || positionals.length === 0) return { command: { name: 'help' }, options };

  const [verb, ...rest] = positionals;
  const expect = (name: Exclude<Command['name'], 'help'>, args: string[], wanted: string[]): void => {
    const given = Object.keys(values).filter((k) => !GLOBAL_OPTIONS.includes(k));
    const stray = given.find((k) => !COMMAND_OPTIONS[name].includes(k));
    if (stray) throw new UsageError(`--${stray} is not an option of '${name.replace('-', ' ')}'`);
    if (args.length < wanted.length) throw new UsageError(`'${name.replace('-', ' ')}' needs ${wanted.slice(args.length).map((w) => `<${w}>`).join(' ')}`);
    if (args.length > wanted.length) throw new UsageError(`'${name.replace('-', ' ')}' takes ${wanted.length === 0 ? 'no arguments' : wanted.map((w) => `<${w}>`).join(' ')}; got ${args.length}: ${args.join(' ')}`);
  };

  switch (verb) {
    case 'send': {
      expect('send', rest, ['to', 'text']);
      let timeoutSeconds = 120;
      if (values.timeout !== undefined) {
        timeoutSeconds = Number(values.timeout);
        if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) throw new UsageError(`--timeout must be a number of seconds > 0, got ${values.timeout}`);
      }
      return {
        command: {
          name: 'send',
          to: rest[0]!,
          text: rest[1]!,
          ...(values.from !== undefined ? { from: values.from } : {}),
          ...(values.reference !== undefined ? { reference: values.reference } : {}),
          ...(values['callback-url'] !== undefined ? { callbackUrl: values['callback-url'] } : {}),
          wait: values.wait ?? false,
          timeoutSeconds,
        },
        options,
      };
    }
    case 'status':
      expect('status', rest, ['id']);
      return { command: { name: 'status', id: rest[0]! }, options };
    case 'tail':
      if (rest.length > 1) throw new UsageError(`'tail' takes at most one <id>; got ${rest.length}: ${rest.join(' ')}`);
      expect('tail', [], []);
      return { command: { name: 'tail', ...(rest[0] !== undefined ? { id: rest[0] } : {}) }, options };
    case 'dlq': {
      const [sub, ...args] = rest;
      if (sub === 'list') {
        expect('dlq-list', args, []);
        return { command: { name: 'dlq-list' }, options };
      }
      if (sub === 'redrive') {
        expect('dlq-redrive', args, ['queue']);
        return { command: { name: 'dlq-redrive', queue: args[0]! }, options };
      }
      throw new UsageError(sub === undefined ? `'dlq' needs a subcommand: list or redrive` : `unknown dlq subcommand '${sub}' (list, redrive)`);
    }
    default:
      throw new UsageError(`unknown command '${verb}' (send, status, tail, dlq)`);
  }
}

// ---------------------------------------------------------------- configuration

export interface CliConfig {
  apiUrl: string | undefined;
  apiKey: string | undefined;
  outputs: PartialLocalOutputs | undefined;
  outputsPath: string;
}

/** Flags first, then SMSGW_* variables, then the outputs file (when it exists). */
export function resolveConfig(options: GlobalOptions, env: NodeJS.ProcessEnv, readFile: (path: string) => string | undefined = readIfExists): CliConfig {
  const outputsPath = options.outputs ?? env.SMSGW_OUTPUTS ?? DEFAULT_OUTPUTS_FILE;
  const text = readFile(outputsPath);
  const outputs = text === undefined ? undefined : parsePartialLocalOutputs(text, outputsPath);
  const apiUrl = options.apiUrl ?? env.SMSGW_API_URL ?? outputs?.apiUrl;
  return {
    apiUrl: apiUrl?.replace(/\/+$/, ''),
    apiKey: options.apiKey ?? env.SMSGW_API_KEY ?? outputs?.apiKey,
    outputs,
    outputsPath,
  };
}

function readIfExists(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

// ---------------------------------------------------------------- API

const FieldProblem = z.object({ field: z.string(), problem: z.string() });
const ProblemBody = z.object({ title: z.optional(z.string()), detail: z.optional(z.string()), errors: z.optional(z.array(FieldProblem)) });

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(formatProblem(status, body));
    this.name = 'ApiError';
  }
}

/**
 * One line for an error answer: the failing fields when the problem names them,
 * else its detail or title.
 *
 * @example formatProblem(422, { errors: [{ field: 'to', problem: 'destination is not a mobile number' }] }) // 'error 422: to: destination is not a mobile number'
 */
export function formatProblem(status: number, body: unknown): string {
  const parsed = ProblemBody.safeParse(body);
  const p = parsed.success ? parsed.data : {};
  const what = p.errors?.length ? p.errors.map((e) => `${e.field}: ${e.problem}`).join('; ') : (p.detail ?? p.title ?? (typeof body === 'string' && body.trim() !== '' ? body.trim().slice(0, 200) : 'no details'));
  return `error ${status}: ${what}`;
}

export interface ApiClient {
  request(method: string, path: string, body?: unknown): Promise<unknown>;
}

/** Tries of one request while the API answers 429 (nothing of a refused request is stored, so a retry is safe). */
export const RATE_LIMIT_TRIES = 5;

export function apiClient(config: CliConfig, doFetch: typeof fetch = fetch, sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms))): ApiClient {
  return {
    async request(method, path, body) {
      if (!config.apiUrl) throw new Error(`no API URL: pass --api-url, set SMSGW_API_URL, or run 'npm run local' (writes ${config.outputsPath})`);
      if (!config.apiKey) throw new Error('no API key: pass --api-key or set SMSGW_API_KEY');
      const headers: Record<string, string> = { 'x-api-key': config.apiKey, accept: 'application/json, application/problem+json' };
      if (body !== undefined) headers['content-type'] = 'application/json';
      for (let tries = 1; ; tries++) {
        const res = await doFetch(`${config.apiUrl}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}), signal: AbortSignal.timeout(30_000) });
        const text = await res.text();
        let json: unknown = text;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          // not JSON: keep the text for the error line
        }
        if (res.status === 429 && tries < RATE_LIMIT_TRIES) {
          const seconds = Number(res.headers.get('retry-after'));
          await sleep(Math.min(30, Number.isInteger(seconds) && seconds > 0 ? seconds : 1) * 1000);
          continue;
        }
        if (!res.ok) throw new ApiError(res.status, json);
        return json;
      }
    },
  };
}

// ---------------------------------------------------------------- formatting

const HistoryEntry = z.object({ status: z.string(), at: z.string(), reason: z.optional(z.string()), carrierId: z.optional(z.string()), attempt: z.optional(z.number()) });
const MessageView = z.object({
  id: z.string(),
  status: z.string(),
  to: z.optional(z.string()),
  from: z.optional(z.string()),
  reference: z.optional(z.string()),
  encoding: z.optional(z.string()),
  segments: z.optional(z.number()),
  attempt: z.optional(z.number()),
  carrierId: z.optional(z.string()),
  reason: z.optional(z.string()),
  smscIds: z.optional(z.array(z.string())),
  receipt: z.optional(z.object({ state: z.string(), errorCode: z.optional(z.string()), receivedAt: z.optional(z.string()) })),
  createdAt: z.optional(z.string()),
  history: z.optional(z.array(HistoryEntry)),
});
export type MessageView = z.infer<typeof MessageView>;

export function parseMessageView(body: unknown): MessageView {
  const parsed = MessageView.safeParse(body);
  if (!parsed.success) throw new Error(`unexpected answer from the API: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

/** HH:MM:SS.mmm of an ISO time, or the text itself when it is not one. */
function clock(iso: string): string {
  return /^\d{4}-\d\d-\d\dT(\d\d:\d\d:\d\d\.\d{3})/.exec(iso)?.[1] ?? iso;
}

/** The human view of GET /v1/messages/{id}. */
export function formatMessage(m: MessageView): string {
  const rows: [string, string][] = [];
  if (m.to) rows.push(['to', m.to + (m.from ? `  (from ${m.from})` : '')]);
  if (m.reference) rows.push(['reference', m.reference]);
  if (m.segments !== undefined) rows.push(['segments', `${m.segments}${m.encoding ? ` ${m.encoding}` : ''}`]);
  if (m.carrierId) rows.push(['carrier', `${m.carrierId}${m.attempt ? `, attempt ${m.attempt}` : ''}`]);
  if (m.reason) rows.push(['reason', m.reason]);
  if (m.smscIds?.length) rows.push(['smsc ids', m.smscIds.join(', ')]);
  if (m.receipt) rows.push(['receipt', `${m.receipt.state}${m.receipt.errorCode ? ` (err ${m.receipt.errorCode})` : ''}${m.receipt.receivedAt ? ` at ${clock(m.receipt.receivedAt)}` : ''}`]);
  const lines = [`${m.id}  ${m.status}`, ...rows.map(([k, v]) => `  ${k.padEnd(10)}${v}`)];
  (m.history ?? []).forEach((h, i) => {
    const extra = [h.carrierId, h.reason].filter((x) => x !== undefined).join(', ');
    lines.push(`  ${(i === 0 ? 'history' : '').padEnd(10)}${clock(h.at)}  ${h.status.padEnd(11)}${extra ? ` ${extra}` : ''}`.trimEnd());
  });
  return lines.join('\n');
}

const TailEvent = z.object({
  eventId: z.string(),
  messageId: z.string(),
  status: z.string(),
  previousStatus: z.optional(z.string()),
  reason: z.optional(z.string()),
  carrierId: z.optional(z.string()),
  attempt: z.optional(z.number()),
  segments: z.optional(z.number()),
  occurredAt: z.string(),
  reference: z.optional(z.string()),
});

/**
 * One line per status event: time, message id, status, then what is known.
 *
 * @example formatEvent({ … status: 'SUBMITTED', carrierId: 'sim-a', attempt: 1 }) // '12:00:01.250  3f0c2a1e-…  SUBMITTED    sim-a attempt 1'
 */
export function formatEvent(body: unknown): string {
  const parsed = TailEvent.safeParse(body);
  if (!parsed.success) return `(not a status event) ${JSON.stringify(body)}`;
  const e = parsed.data;
  const extra = [e.carrierId, e.attempt ? `attempt ${e.attempt}` : undefined, e.reason ? `(${e.reason})` : undefined, e.reference ? `ref ${e.reference}` : undefined].filter((x) => x !== undefined);
  return `${clock(e.occurredAt)}  ${e.messageId}  ${e.status.padEnd(11)}${extra.length ? ` ${extra.join(' ')}` : ''}`.trimEnd();
}

export function isFinalStatus(status: string): boolean {
  return (STATUSES as readonly string[]).includes(status) && FINAL_STATUSES.has(status as MessageStatus);
}

// ---------------------------------------------------------------- dead-letter queues

export interface DlqTarget {
  /** How the CLI names it: ingest, webhooks, outbox-failures, carrier:<id>. */
  name: string;
  url: string;
  /** The queue its messages came from; undefined when there is none to go back to (outbox failures). */
  sourceUrl: string | undefined;
}

/** Every dead-letter queue of the stack, from its outputs, in a stable order. */
export function dlqTargets(outputs: PartialLocalOutputs): DlqTarget[] {
  const raw = outputs.raw ?? {};
  const targets: DlqTarget[] = [];
  const ingestDlq = outputs.ingestDlqUrl ?? raw.IngestDlqUrl;
  if (ingestDlq) targets.push({ name: 'ingest', url: ingestDlq, sourceUrl: outputs.ingestQueueUrl ?? raw.IngestQueueUrl });
  const carrierDlqs = outputs.carrierDlqUrls ?? jsonRecord(raw.CarrierDlqUrls);
  const carrierQueues = outputs.carrierQueueUrls ?? jsonRecord(raw.CarrierQueueUrls);
  for (const id of Object.keys(carrierDlqs).sort()) targets.push({ name: `carrier:${id}`, url: carrierDlqs[id]!, sourceUrl: carrierQueues[id] });
  if (raw.WebhookDlqUrl) targets.push({ name: 'webhooks', url: raw.WebhookDlqUrl, sourceUrl: raw.WebhookQueueUrl });
  // Stream records the outbox could not relay: Lambda failure records, not queue messages; replaying means re-reading the stream.
  if (raw.OutboxFailuresQueueUrl) targets.push({ name: 'outbox-failures', url: raw.OutboxFailuresQueueUrl, sourceUrl: undefined });
  return targets;
}

function jsonRecord(text: string | undefined): Record<string, string> {
  if (!text) return {};
  const parsed = z.record(z.string(), z.string()).safeParse(JSON.parse(text));
  return parsed.success ? parsed.data : {};
}

/** Finds a DLQ by its CLI name; a bare carrier id works too when no other queue has that name. */
export function findDlq(targets: readonly DlqTarget[], name: string): DlqTarget {
  const found = targets.find((t) => t.name === name) ?? targets.find((t) => t.name === `carrier:${name}`);
  if (!found) throw new UsageError(`no dead-letter queue '${name}'; the stack has: ${targets.map((t) => t.name).join(', ')}`);
  return found;
}

export interface DlqRow {
  name: string;
  messages: number;
  inFlight: number;
  redrivesTo: string;
  url: string;
}

/** Last path segment of a queue URL. */
export function queueName(url: string): string {
  return url.slice(url.lastIndexOf('/') + 1);
}

/** A compact table: one row per DLQ, depth right-aligned. */
export function formatDlqTable(rows: readonly DlqRow[]): string {
  const header = ['DLQ', 'MESSAGES', 'IN FLIGHT', 'REDRIVES TO'];
  const cells = rows.map((r) => [r.name, String(r.messages), String(r.inFlight), r.redrivesTo]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((v, i) => (i === 1 || i === 2 ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...cells.map(line)].join('\n');
}

// ---------------------------------------------------------------- output

export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  fetch: typeof fetch;
  /** Resolves when the user asks to stop (Ctrl-C); tail and send --wait end then. */
  interrupted: Promise<void>;
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** On a TTY a one-line spinner (on stderr) that shows the latest status; elsewhere a plain line per status. */
export function progress(io: Pick<Io, 'stderr'>): { update(text: string): void; done(): void } {
  if (!io.stderr.isTTY) {
    let last = '';
    return {
      update: (text) => {
        if (text !== last) io.stderr.write(`${text}\n`);
        last = text;
      },
      done: () => undefined,
    };
  }
  let text = '';
  let frame = 0;
  const draw = () => io.stderr.write(`\r\x1b[2K${SPINNER[frame++ % SPINNER.length]} ${text}`);
  const timer = setInterval(draw, 80);
  return {
    update: (t) => {
      text = t;
      draw();
    },
    done: () => {
      clearInterval(timer);
      io.stderr.write('\r\x1b[2K');
    },
  };
}

/** Waits `ms`, or less when interrupted. The timer is not unref'd: it is what keeps the process alive while waiting. */
function sleep(ms: number, interrupted: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([new Promise<void>((r) => (timer = setTimeout(r, ms))), interrupted]).finally(() => clearTimeout(timer));
}

// ---------------------------------------------------------------- AWS

function awsClients(config: CliConfig, env: NodeJS.ProcessEnv): { sqs: SQSClient; sns: SNSClient } {
  // A local stack: talk to its emulator unless the environment names an endpoint (or real credentials) itself.
  const local = config.outputs?.endpoint && !env.AWS_ENDPOINT_URL ? config.outputs.endpoint : undefined;
  const common = {
    ...(local ? { endpoint: local } : {}),
    region: env.AWS_REGION ?? config.outputs?.region ?? 'us-east-1',
    ...(local && !env.AWS_ACCESS_KEY_ID ? { credentials: { accessKeyId: 'test', secretAccessKey: 'test' } } : {}),
  };
  return { sqs: new SQSClient(common), sns: new SNSClient(common) };
}

function needOutputs(config: CliConfig): PartialLocalOutputs {
  if (!config.outputs) throw new Error(`${config.outputsPath} not found: 'tail' and 'dlq' need the stack outputs (run 'npm run local' or 'npm run deploy:local', or pass --outputs)`);
  return config.outputs;
}

async function queueArn(sqs: SQSClient, url: string): Promise<string> {
  const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  const arn = attrs.Attributes?.QueueArn;
  if (!arn) throw new Error(`no QueueArn for ${url}`);
  return arn;
}

// ---------------------------------------------------------------- commands

async function send(cmd: Extract<Command, { name: 'send' }>, opts: GlobalOptions, config: CliConfig, io: Io): Promise<number> {
  const api = apiClient(config, io.fetch);
  const accepted = await api.request('POST', '/v1/messages', {
    to: cmd.to,
    text: cmd.text,
    ...(cmd.from !== undefined ? { from: cmd.from } : {}),
    ...(cmd.reference !== undefined ? { reference: cmd.reference } : {}),
    ...(cmd.callbackUrl !== undefined ? { callbackUrl: cmd.callbackUrl } : {}),
  });
  const first = parseMessageView(accepted);
  if (!cmd.wait) {
    io.stdout.write(opts.json ? `${JSON.stringify(accepted)}\n` : `${first.id}  ${first.status}${first.segments !== undefined ? `  ${first.segments} segment${first.segments === 1 ? '' : 's'}${first.encoding ? ` ${first.encoding}` : ''}` : ''}\n`);
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

async function status(cmd: Extract<Command, { name: 'status' }>, opts: GlobalOptions, config: CliConfig, io: Io): Promise<number> {
  const raw = await apiClient(config, io.fetch).request('GET', `/v1/messages/${encodeURIComponent(cmd.id)}`);
  io.stdout.write(opts.json ? `${JSON.stringify(raw)}\n` : `${formatMessage(parseMessageView(raw))}\n`);
  return 0;
}

/**
 * A temporary FIFO queue subscribed to the status topic (raw delivery, so each
 * body is a status event), long-polled until Ctrl-C; the subscription and the
 * queue are removed on the way out, whatever ends the command.
 */
async function tail(cmd: Extract<Command, { name: 'tail' }>, opts: GlobalOptions, config: CliConfig, io: Io): Promise<number> {
  const outputs = needOutputs(config);
  const topicArn = outputs.raw?.StatusTopicArn;
  if (!topicArn) throw new Error(`${config.outputsPath} has no StatusTopicArn: redeploy the stack`);
  const { sqs, sns } = awsClients(config, io.env);
  const queue = await sqs.send(
    new CreateQueueCommand({
      QueueName: `smsgw-tail-${randomUUID().slice(0, 8)}.fifo`,
      Attributes: { FifoQueue: 'true', MessageRetentionPeriod: '3600' },
    }),
  );
  const queueUrl = queue.QueueUrl!;
  let subscriptionArn: string | undefined;
  const abort = new AbortController();
  void io.interrupted.then(() => abort.abort());
  try {
    const arn = await queueArn(sqs, queueUrl);
    // On AWS the topic may deliver only what the queue's policy allows.
    await sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: queueUrl,
        Attributes: {
          Policy: JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Principal: { Service: 'sns.amazonaws.com' }, Action: 'sqs:SendMessage', Resource: arn, Condition: { ArnEquals: { 'aws:SourceArn': topicArn } } }],
          }),
        },
      }),
    );
    subscriptionArn = (await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: arn, Attributes: { RawMessageDelivery: 'true' }, ReturnSubscriptionArn: true }))).SubscriptionArn;
    io.stderr.write(`following status events${cmd.id ? ` of ${cmd.id}` : ''}; Ctrl-C stops\n`);
    while (!abort.signal.aborted) {
      let messages: Message[];
      try {
        messages = (await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 20 }), { abortSignal: abort.signal })).Messages ?? [];
      } catch (err) {
        if (abort.signal.aborted) break;
        throw err;
      }
      for (const m of messages) {
        let event: unknown;
        try {
          event = JSON.parse(m.Body ?? '');
        } catch {
          event = m.Body;
        }
        if (cmd.id && !(typeof event === 'object' && event !== null && 'messageId' in event && event.messageId === cmd.id)) continue;
        io.stdout.write(opts.json ? `${JSON.stringify(event)}\n` : `${formatEvent(event)}\n`);
      }
      if (messages.length > 0) {
        await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
      }
    }
    return 0;
  } finally {
    if (subscriptionArn && subscriptionArn !== 'pending confirmation') await sns.send(new UnsubscribeCommand({ SubscriptionArn: subscriptionArn })).catch(() => undefined);
    await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl })).catch(() => undefined);
  }
}

async function dlqList(opts: GlobalOptions, config: CliConfig, io: Io): Promise<number> {
  const { sqs } = awsClients(config, io.env);
  const rows: DlqRow[] = await Promise.all(
    dlqTargets(needOutputs(config)).map(async (t) => {
      const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: t.url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
      return {
        name: t.name,
        messages: Number(attrs.Attributes?.ApproximateNumberOfMessages ?? 0),
        inFlight: Number(attrs.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
        redrivesTo: t.sourceUrl ? queueName(t.sourceUrl) : '(none: stream failure records)',
        url: t.url,
      };
    }),
  );
  io.stdout.write(opts.json ? `${JSON.stringify(rows)}\n` : `${formatDlqTable(rows)}\n`);
  return 0;
}

/** Errors that mean "this SQS does not do StartMessageMoveTask" (emulators), not "you may not". */
function moveTaskUnsupported(err: unknown): boolean {
  const e = err as { name?: string; Code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  return /InvalidAction|UnsupportedOperation|UnknownOperation|NotImplemented|InvalidParameterValue/i.test(`${e.name} ${e.Code ?? ''} ${e.message ?? ''}`) || e.$metadata?.httpStatusCode === 501;
}

export interface RedriveResult {
  queue: string;
  method: 'move-task' | 'copy';
  moved?: number;
  taskHandle?: string;
}

/**
 * Moves the DLQ's messages back to their source queue: StartMessageMoveTask
 * where SQS offers it, else receive → send → delete. The copy keeps each
 * message's group id and attributes; its deduplication id is derived from the
 * dead-lettered message's id, so a copy repeated after a crash is dropped by the
 * FIFO queue instead of delivered twice — and is never the original id, which
 * the source queue would silently drop within its 5-minute window.
 */
export async function redrive(sqs: SQSClient, target: DlqTarget, onProgress: (moved: number) => void = () => undefined): Promise<RedriveResult> {
  if (!target.sourceUrl) throw new UsageError(`${target.name} holds stream failure records, not messages: there is no queue to move them back to`);
  const [sourceArn, destinationArn] = await Promise.all([queueArn(sqs, target.url), queueArn(sqs, target.sourceUrl)]);
  try {
    const task = await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: sourceArn, DestinationArn: destinationArn }));
    return { queue: target.name, method: 'move-task', ...(task.TaskHandle ? { taskHandle: task.TaskHandle } : {}) };
  } catch (err) {
    if (!moveTaskUnsupported(err)) throw err;
  }
  const fifo = target.sourceUrl.endsWith('.fifo');
  let moved = 0;
  for (;;) {
    const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: target.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 60, MessageSystemAttributeNames: ['All'], MessageAttributeNames: ['All'] }));
    const messages = got.Messages ?? [];
    if (messages.length === 0) break;
    const entries: SendMessageBatchRequestEntry[] = messages.map((m, i) => ({
      Id: String(i),
      MessageBody: m.Body ?? '',
      ...(m.MessageAttributes && Object.keys(m.MessageAttributes).length > 0 ? { MessageAttributes: m.MessageAttributes } : {}),
      ...(fifo ? { MessageGroupId: m.Attributes?.MessageGroupId ?? m.MessageId!, MessageDeduplicationId: `redrive-${m.MessageId}`.slice(0, 128) } : {}),
    }));
    const sent = await sqs.send(new SendMessageBatchCommand({ QueueUrl: target.sourceUrl, Entries: entries }));
    const ok = new Set((sent.Successful ?? []).map((s) => s.Id));
    const done = messages.filter((_, i) => ok.has(String(i)));
    if (done.length > 0) {
      await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: target.url, Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
    }
    moved += done.length;
    onProgress(moved);
    const failed = sent.Failed ?? [];
    if (failed.length > 0) throw new Error(`moved ${moved}; ${failed.length} could not be sent back (${failed[0]!.Code}: ${failed[0]!.Message ?? ''}) and stay in ${target.name}`);
  }
  return { queue: target.name, method: 'copy', moved };
}

async function dlqRedrive(cmd: Extract<Command, { name: 'dlq-redrive' }>, opts: GlobalOptions, config: CliConfig, io: Io): Promise<number> {
  const target = findDlq(dlqTargets(needOutputs(config)), cmd.queue);
  const { sqs } = awsClients(config, io.env);
  const spinner = opts.json ? undefined : progress(io);
  let result: RedriveResult;
  try {
    result = await redrive(sqs, target, (n) => spinner?.update(`${n} moved`));
  } finally {
    spinner?.done();
  }
  if (opts.json) io.stdout.write(`${JSON.stringify(result)}\n`);
  else if (result.method === 'move-task') io.stdout.write(`${target.name}: move task started (${result.taskHandle ?? 'no handle'}); 'smsgw dlq list' shows the depth going down\n`);
  else io.stdout.write(`${target.name}: ${result.moved} message${result.moved === 1 ? '' : 's'} moved back to ${queueName(target.sourceUrl!)}\n`);
  return 0;
}

/** Runs one command line; resolves with the exit code. Never calls process.exit. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(argv);
  } catch (err) {
    io.stderr.write(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { command, options } = parsed;
  if (command.name === 'help') {
    io.stdout.write(USAGE);
    return 0;
  }
  try {
    const config = resolveConfig(options, io.env);
    switch (command.name) {
      case 'send':
        return await send(command, options, config, io);
      case 'status':
        return await status(command, options, config, io);
      case 'tail':
        return await tail(command, options, config, io);
      case 'dlq-list':
        return await dlqList(options, config, io);
      case 'dlq-redrive':
        return await dlqRedrive(command, options, config, io);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`${err.message}\n`);
      return 2;
    }
    const e = err as Error;
    io.stderr.write(`${e instanceof ApiError ? e.message : `error: ${e.message || e.name}`}\n`);
    return 1;
  }
}

/** The process entry point: cli/smsgw.ts calls it (npm run smsgw, and the `smsgw` bin through cli/smsgw.js). */
export function run(): void {
  let interrupt: () => void = () => undefined;
  const interrupted = new Promise<void>((r) => (interrupt = r));
  let signals = 0;
  const onSignal = () => {
    // The first Ctrl-C lets the command clean up (tail removes its queue); a second one exits now.
    if (++signals > 1) process.exit(130);
    interrupt();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // Exit once what was written has been flushed (stdout may be a pipe to another program).
  const exit = (code: number) => process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
  main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, fetch, interrupted }).then(exit, (err: unknown) => {
    process.stderr.write(`error: ${(err as Error).message}\n`);
    exit(1);
  });
}
