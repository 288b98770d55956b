/**
 * Loads and validates the gateway configuration file named by GATEWAY_CONFIG.
 * Used by the CDK app and the SMPP worker (not by Lambdas: they receive the
 * compiled runtime subset, see runtime.ts).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { GatewayConfig } from './schema';
import { crossCheck } from './cross-check';

export const DEFAULT_CONFIG_PATH = 'config/local.yaml';

export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`invalid gateway config ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Formats a zod issue as "tenants[0].apiKeys[1]: must be …". */
export function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join('');
  return `${path || '(root)'}: ${issue.message}`;
}

export function parseGatewayConfig(raw: unknown, source = '(inline)'): GatewayConfig {
  const parsed = GatewayConfig.safeParse(raw);
  if (!parsed.success) throw new ConfigError(source, parsed.error.issues.map(describeIssue));
  const problems = crossCheck(parsed.data);
  if (problems.length > 0) throw new ConfigError(source, problems);
  return parsed.data;
}

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.GATEWAY_CONFIG ?? DEFAULT_CONFIG_PATH);
}

export function loadGatewayConfig(path = configPath()): GatewayConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(path, [`cannot read file: ${(err as Error).message}`]);
  }
  let raw: unknown;
  try {
    raw = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ConfigError(path, [`not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message}`]);
  }
  return parseGatewayConfig(raw, path);
}
