/**
 * The README keeps in step with the code where it lists what the code defines.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadGatewayConfig } from '../../core/config/load';
import { WORKER_MESSAGES_PER_SECOND_PER_VCPU, workerSizingWarnings } from '../../core/config/worker-sizing';
import { PROBLEM_TYPE_NAMES, PROBLEM_TYPES } from '../../core/http/problem';
import { IGNORED_PARAMETERS } from '../../core/twilio/create-params';

const readme = readFileSync(resolve(__dirname, '../../README.md'), 'utf8');

/** The rows of the README's table whose header row starts with `| <first> |`. */
function tableRows(first: string): string[][] {
  const lines = readme.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`| ${first} |`));
  if (start < 0) throw new Error(`README has no table starting with "| ${first} |"`);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(line.split('|').slice(1, -1).map((c) => c.trim()));
  }
  return rows;
}

describe('README#problem-types', () => {
  it('lists every problem type, in the code’s order, with its statuses and title', () => {
    const rows = tableRows('Name').map(([name, statuses, title]) => ({ name: name!.replace(/`/g, ''), statuses: statuses!, title: title! }));
    expect(rows).toEqual(PROBLEM_TYPE_NAMES.map((name) => ({ name, statuses: PROBLEM_TYPES[name].statuses.join(', '), title: PROBLEM_TYPES[name].title })));
  });
});

describe('README#sizing-the-worker', () => {
  it('states the messages per second per vCPU that synth sizes the worker by', () => {
    expect(readme).toContain(`One worker task carries about **${WORKER_MESSAGES_PER_SECOND_PER_VCPU} messages per second per vCPU**`);
  });

  it('quotes the warning synth gives the production example on the default task', () => {
    // Prepare
    const example = loadGatewayConfig(resolve(__dirname, '../../config/example-production.yaml'));
    // Act
    const [warning] = workerSizingWarnings({ ...example, worker: { ...example.worker, cpu: 512, memoryMiB: 1024 } });
    // Assess
    expect(readme).toContain(`\nwarning: ${warning}\n`);
  });
});

describe('README#twilio-compatible-api', () => {
  it('names every Twilio parameter that is accepted and ignored', () => {
    const line = readme.slice(readme.indexOf('**Accepted and ignored:**'), readme.indexOf('**Not supported:**'));
    expect([...line.matchAll(/`([A-Za-z]+)`/g)].map((m) => m[1])).toEqual([...IGNORED_PARAMETERS]);
  });
});
