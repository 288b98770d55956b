/**
 * Where smsgw finds the API and the stack: flags, then SMSGW_* variables, then
 * the stack outputs file (.local/outputs.json unless --outputs or SMSGW_OUTPUTS
 * names another).
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { localOutputsFile, parsePartialLocalOutputs, type PartialLocalOutputs } from '../core/config/local-outputs';
import type { GlobalOptions } from './command-line';

export const DEFAULT_OUTPUTS_FILE = localOutputsFile(resolve(__dirname, '..'));

export interface CliConfig {
  apiUrl: string | undefined;
  apiKey: string | undefined;
  /** Partial: a file written by hand for another stack needs only what its commands use. */
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

/** The outputs file's content, for the commands that talk to the stack's queues and topic (tail, dlq). */
export function needOutputs(config: CliConfig): PartialLocalOutputs {
  if (!config.outputs) throw new Error(`${config.outputsPath} not found: 'tail' and 'dlq' need the stack outputs (run 'npm run local' or 'npm run deploy:local', or pass --outputs)`);
  return config.outputs;
}

function readIfExists(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}
