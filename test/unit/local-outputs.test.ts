/**
 * .local/outputs.json: one schema for deploy-local (the writer) and its readers —
 * the CLI (which takes part of a file), the worker run locally and the
 * integration tests. Files go to a temporary directory.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { localOutputsFile, parseLocalOutputs, parsePartialLocalOutputs, readLocalOutputs, writeLocalOutputs } from '../../core/config/local-outputs';
import { localStackEnv } from '../../worker/settings';
import { localOutputs } from '../support/factories';

let repoRoot: string;

beforeEach(() => {
  repoRoot = mkdtempSync(join(tmpdir(), 'smsgw-outputs-'));
  mkdirSync(join(repoRoot, '.local'));
});

afterEach(() => rmSync(repoRoot, { recursive: true, force: true }));

describe('readLocalOutputs', () => {
  it('reads back what deploy-local writes', () => {
    // Prepare
    const file = localOutputsFile(repoRoot);
    writeLocalOutputs(file, localOutputs());
    // Act
    const read = readLocalOutputs(file);
    // Assess
    expect(read).toEqual(localOutputs());
  });

  it('reads back the Twilio account of the config, and refuses one without its token', () => {
    const file = localOutputsFile(repoRoot);
    const twilio = { tenantId: 'acme', accountSid: 'AC0123456789abcdef0123456789abcdef', authToken: 'test-acme-twilio-token-0123456789' };
    writeLocalOutputs(file, { ...localOutputs(), twilio });
    expect(readLocalOutputs(file).twilio).toEqual(twilio);
    const { authToken: _, ...tokenless } = twilio;
    expect(() => parseLocalOutputs(JSON.stringify({ ...localOutputs(), twilio: tokenless }), '/x/outputs.json')).toThrow(new Error('/x/outputs.json: twilio.authToken: is missing'));
  });

  it('names the file and every field that is missing or of the wrong type', () => {
    // Prepare
    const { tableName: _, ...withoutTable } = localOutputs();
    const text = JSON.stringify({ ...withoutTable, carrierQueueUrls: { 'sim-a': 7 }, functions: 'api' });
    // Act / Assess
    expect(() => parseLocalOutputs(text, '/x/outputs.json')).toThrow(new Error('/x/outputs.json: tableName: is missing; carrierQueueUrls.sim-a: must be a string; functions: must be an object'));
  });

  it('says when the file is not JSON, and how to make one when there is none', () => {
    expect(() => parseLocalOutputs('{', '/x/outputs.json')).toThrow(new Error('/x/outputs.json is not JSON'));
    expect(() => readLocalOutputs(join(repoRoot, 'nothing.json'))).toThrow(`${join(repoRoot, 'nothing.json')} not found: run 'npm run deploy:local' (or 'npm run local') first`);
  });
});

describe('parsePartialLocalOutputs (the CLI’s --outputs)', () => {
  it('takes a file with only some of the fields, and still checks the ones it has', () => {
    const partial = { endpoint: 'http://localhost:4566', ingestQueueUrl: 'http://q/ingest.fifo', ingestDlqUrl: 'http://q/ingest-dlq.fifo' };
    expect(parsePartialLocalOutputs(JSON.stringify(partial), '/x/outputs.json')).toEqual(partial);
    expect(() => parsePartialLocalOutputs(JSON.stringify({ ...partial, raw: { StatusTopicArn: false } }), '/x/outputs.json')).toThrow(new Error('/x/outputs.json: raw.StatusTopicArn: must be a string'));
  });
});

describe('localStackEnv (the worker run locally)', () => {
  it('takes the endpoint, table, carrier queues and inbound topic from the file, keeping what the environment sets, and writes item by item (the emulator streams no PartiQL writes)', () => {
    // Prepare
    writeLocalOutputs(localOutputsFile(repoRoot), localOutputs());
    // Act
    const env = localStackEnv(repoRoot, { AWS_REGION: 'eu-west-1' });
    // Assess
    expect(env).toEqual({
      AWS_ENDPOINT_URL: 'http://localhost:4566',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_REGION: 'eu-west-1',
      TABLE_NAME: 'SmsGatewayLocal-Messages',
      CARRIER_QUEUE_URLS: JSON.stringify(localOutputs().carrierQueueUrls),
      DELIVERY_WRITES: 'item-by-item',
    });
  });

  it('leaves the environment alone when it names a table or there is no file', () => {
    writeLocalOutputs(localOutputsFile(repoRoot), localOutputs());
    expect(localStackEnv(repoRoot, { TABLE_NAME: 'mine' })).toEqual({ TABLE_NAME: 'mine' });
    expect(localStackEnv(join(repoRoot, 'elsewhere'), {})).toEqual({});
  });

  it('refuses a broken file, naming it, instead of starting on half the settings', () => {
    writeFileSync(localOutputsFile(repoRoot), JSON.stringify({ ...localOutputs(), raw: undefined }));
    expect(() => localStackEnv(repoRoot, {})).toThrow(`${localOutputsFile(repoRoot)}: raw: is missing`);
  });
});
