/**
 * The command line of smsgw: its usage text and the parser that turns the
 * arguments after `smsgw` into one Command and the global options.
 */
import { parseArgs } from 'node:util';

export const USAGE = `Usage: smsgw <command> [options]

Commands:
  send <to> <text> [--from X] [--reference R] [--callback-url URL] [--send-at T] [--wait] [--timeout S]
                         send one message; --send-at (RFC 3339) schedules it;
                         --wait follows it to a final status
  status <id>            a message's status, receipt and history
  list [--to N] [--from X] [--status S[,S]] [--since T] [--until T] [--limit N]
                         the tenant's messages, newest first (RFC 3339 times; 20 unless --limit)
  tail [<id>]            follow status events (all messages, or one) and inbound messages until Ctrl-C
  inbound [--to N] [--from N] [--since T] [--limit N]
                         the tenant's inbound messages, newest first (50 unless --limit)
  opt-outs list          the tenant's opt-outs in force, in number order
  opt-outs add <number> [--sender S]
                         opt a number (E.164) out of the tenant's messages
  opt-outs remove <number> [--sender S]
                         remove an opt-out (--sender: with optOut.scope sender)
  usage [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--group-by day|country|status]
                         the tenant's messages, segments and spend (this month by day)
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

export type Command =
  | { name: 'send'; to: string; text: string; from?: string; reference?: string; callbackUrl?: string; sendAt?: string; wait: boolean; timeoutSeconds: number }
  | { name: 'status'; id: string }
  | { name: 'list'; to?: string; from?: string; status?: string; since?: string; until?: string; limit: number }
  | { name: 'tail'; id?: string }
  | { name: 'inbound'; to?: string; from?: string; since?: string; limit: number }
  | { name: 'opt-outs-list' }
  | { name: 'opt-outs-add'; number: string; sender?: string }
  | { name: 'opt-outs-remove'; number: string; sender?: string }
  | { name: 'usage'; from?: string; to?: string; groupBy?: string }
  | { name: 'dlq-list' }
  | { name: 'dlq-redrive'; queue: string }
  | { name: 'help' };

/** One command's arguments, e.g. CommandOf<'send'>. */
export type CommandOf<N extends Command['name']> = Extract<Command, { name: N }>;

export interface GlobalOptions {
  apiUrl?: string;
  apiKey?: string;
  outputs?: string;
  json: boolean;
}

/** The command line, or a name on it, is wrong: smsgw prints the message and exits 2. */
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
  'send-at': { type: 'string' },
  wait: { type: 'boolean' },
  timeout: { type: 'string' },
  sender: { type: 'string' },
  to: { type: 'string' },
  'group-by': { type: 'string' },
  status: { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
  limit: { type: 'string' },
} as const;

/** Which options each command accepts besides the global ones. */
const COMMAND_OPTIONS: Record<Exclude<Command['name'], 'help'>, readonly string[]> = {
  send: ['from', 'reference', 'callback-url', 'send-at', 'wait', 'timeout'],
  status: [],
  list: ['to', 'from', 'status', 'since', 'until', 'limit'],
  tail: [],
  inbound: ['to', 'from', 'since', 'limit'],
  'opt-outs-list': [],
  'opt-outs-add': ['sender'],
  'opt-outs-remove': ['sender'],
  usage: ['from', 'to', 'group-by'],
  'dlq-list': [],
  'dlq-redrive': [],
};
const GLOBAL_OPTIONS = ['api-url', 'api-key', 'outputs', 'json', 'help'];

/** A command's name as typed: 'dlq-list' is `dlq list`, 'opt-outs-add' is `opt-outs add`. */
const spoken = (name: string): string => name.replace(/-(?=[a-z]+$)/, ' ');

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
    if (stray) throw new UsageError(`--${stray} is not an option of '${spoken(name)}'`);
    if (args.length < wanted.length) throw new UsageError(`'${spoken(name)}' needs ${wanted.slice(args.length).map((w) => `<${w}>`).join(' ')}`);
    if (args.length > wanted.length) throw new UsageError(`'${spoken(name)}' takes ${wanted.length === 0 ? 'no arguments' : wanted.map((w) => `<${w}>`).join(' ')}; got ${args.length}: ${args.join(' ')}`);
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
          ...(values['send-at'] !== undefined ? { sendAt: values['send-at'] } : {}),
          wait: values.wait ?? false,
          timeoutSeconds,
        },
        options,
      };
    }
    case 'status':
      expect('status', rest, ['id']);
      return { command: { name: 'status', id: rest[0]! }, options };
    case 'list': {
      // The API checks the filters and names the one at fault.
      expect('list', rest, []);
      let limit = 20;
      if (values.limit !== undefined) {
        limit = /^[0-9]+$/.test(values.limit) ? Number(values.limit) : NaN;
        if (!(limit >= 1 && limit <= 10_000)) throw new UsageError(`--limit must be a whole number from 1 to 10000, got ${values.limit}`);
      }
      const filters = { to: values.to, from: values.from, status: values.status, since: values.since, until: values.until };
      return { command: { name: 'list', ...Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== undefined)), limit }, options };
    }
    case 'tail':
      if (rest.length > 1) throw new UsageError(`'tail' takes at most one <id>; got ${rest.length}: ${rest.join(' ')}`);
      expect('tail', [], []);
      return { command: { name: 'tail', ...(rest[0] !== undefined ? { id: rest[0] } : {}) }, options };
    case 'inbound': {
      // The API checks the numbers and the time and names the one at fault.
      expect('inbound', rest, []);
      let limit = 50;
      if (values.limit !== undefined) {
        limit = Number(values.limit);
        if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit must be a whole number > 0, got ${values.limit}`);
      }
      return {
        command: {
          name: 'inbound',
          ...(values.to !== undefined ? { to: values.to } : {}),
          ...(values.from !== undefined ? { from: values.from } : {}),
          ...(values.since !== undefined ? { since: values.since } : {}),
          limit,
        },
        options,
      };
    }
    case 'opt-outs': {
      const [sub, ...args] = rest;
      if (sub === 'list') {
        expect('opt-outs-list', args, []);
        return { command: { name: 'opt-outs-list' }, options };
      }
      if (sub === 'add' || sub === 'remove') {
        const name = sub === 'add' ? 'opt-outs-add' : 'opt-outs-remove';
        expect(name, args, ['number']);
        return { command: { name, number: args[0]!, ...(values.sender !== undefined ? { sender: values.sender } : {}) }, options };
      }
      throw new UsageError(sub === undefined ? `'opt-outs' needs a subcommand: list, add or remove` : `unknown opt-outs subcommand '${sub}' (list, add, remove)`);
    }
    case 'usage':
      // The API checks the dates and the grouping and names the one at fault.
      expect('usage', rest, []);
      return {
        command: {
          name: 'usage',
          ...(values.from !== undefined ? { from: values.from } : {}),
          ...(values.to !== undefined ? { to: values.to } : {}),
          ...(values['group-by'] !== undefined ? { groupBy: values['group-by'] } : {}),
        },
        options,
      };
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
      throw new UsageError(`unknown command '${verb}' (send, status, list, tail, inbound, opt-outs, usage, dlq)`);
  }
}
