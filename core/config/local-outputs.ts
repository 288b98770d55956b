/**
 * `.local/outputs.json`: what `npm run deploy:local` (and `npm run local`) knows
 * about the stack it deployed to the emulator — the API URL and a dev key, the
 * table, the queues, the function names, and every stack output under `raw`.
 * One schema for the writer (scripts/deploy-local.ts) and every reader: the
 * smsgw CLI, the worker run locally (worker/settings.ts) and the integration
 * tests (test/support/local.ts).
 *
 *   const outputs = readLocalOutputs(localOutputsFile(repoRoot));
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod/mini';
import { describeIssues, expecting } from '../util/schema-problems';

const aString = () => z.string(expecting('a string'));
/** id → URL (or ARN, or name). */
const stringMap = () => z.record(z.string(), aString(), expecting('an object of strings'));

export const LocalOutputs = z.object(
  {
    /** The emulator (AWS_ENDPOINT_URL of every local SDK client). */
    endpoint: aString(),
    stackName: aString(),
    region: aString(),
    /** The API's base URL: `<endpoint>/_aws/execute-api/<apiId>/<stage>`. */
    apiUrl: aString(),
    /** The first API key of the config, for trying the API; empty when no tenant has one. */
    apiKey: aString(),
    /** Every tenant's API keys from the config: tenant id → keys. */
    apiKeys: z.record(z.string(), z.array(aString(), expecting('a list of strings')), expecting('an object of key lists')),
    /** The first Twilio account of the config with a plaintext token, for the Twilio-compatible API (absent when none has one). */
    twilio: z.optional(z.object({ tenantId: aString(), accountSid: aString(), authToken: aString() }, expecting('an object'))),
    tableName: aString(),
    ingestQueueUrl: aString(),
    ingestDlqUrl: aString(),
    /** Carrier id → its queue URL. */
    carrierQueueUrls: stringMap(),
    /** Carrier id → its dead-letter queue URL. */
    carrierDlqUrls: stringMap(),
    functions: z.object({ api: aString(), router: aString(), outbox: aString() }, expecting('an object')),
    /** Every stack output by its CloudFormation name (StatusTopicArn, WebhookQueueUrl, …). */
    raw: stringMap(),
  },
  expecting('an object'),
);
export type LocalOutputs = z.infer<typeof LocalOutputs>;

/**
 * Any part of the file, each field that is there checked as above. The CLI
 * takes this: `--outputs` may point at a file written by hand for another
 * stack, with only what the command at hand needs.
 */
export const PartialLocalOutputs = z.partial(LocalOutputs);
export type PartialLocalOutputs = z.infer<typeof PartialLocalOutputs>;

/** Where a checkout keeps the file. */
export function localOutputsFile(repoRoot: string): string {
  return join(repoRoot, '.local', 'outputs.json');
}

/**
 * The outputs in `text`, validated; errors name `file` and the field.
 *
 * @example parseLocalOutputs('{"endpoint":1}', '.local/outputs.json') // throws '.local/outputs.json: endpoint: must be a string; stackName: is missing; …'
 */
export function parseLocalOutputs(text: string, file: string): LocalOutputs {
  return parseWith(LocalOutputs, text, file);
}

/** parseLocalOutputs for a file that may hold only some of the fields. */
export function parsePartialLocalOutputs(text: string, file: string): PartialLocalOutputs {
  return parseWith(PartialLocalOutputs, text, file);
}

/** Reads and validates `file`; a missing file says how to make one. */
export function readLocalOutputs(file: string): LocalOutputs {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`${file} not found: run 'npm run deploy:local' (or 'npm run local') first`);
    throw err;
  }
  return parseLocalOutputs(text, file);
}

export function writeLocalOutputs(file: string, outputs: LocalOutputs): void {
  writeFileSync(file, `${JSON.stringify(outputs, null, 2)}\n`);
}

function parseWith<S extends z.ZodMiniType>(schema: S, text: string, file: string): z.infer<S> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${file} is not JSON`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new Error(`${file}: ${describeIssues(parsed.error.issues)}`);
  return parsed.data;
}
