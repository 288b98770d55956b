import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configWarnings } from '../../core/config/cross-check';
import { ConfigError, loadGatewayConfig, parseGatewayConfig } from '../../core/config/load';
import { sha256Hex, toRuntimeConfig } from '../../core/config/runtime';
import { WORKER_MESSAGES_PER_SECOND_PER_VCPU, workerSizingWarnings, workerTaskCapacity } from '../../core/config/worker-sizing';
import { API_KEYS, carrierInput, gatewayConfigInput } from '../support/factories';

const LOCAL_CONFIG = resolve(__dirname, '../../config/local.yaml');
const PRODUCTION_EXAMPLE = resolve(__dirname, '../../config/example-production.yaml');
const EIP_A = 'eipalloc-0aaaaaaaaaaaaaaaa';
const EIP_B = 'eipalloc-0bbbbbbbbbbbbbbbb';

/** The problems a config is refused for (fails the test when it is accepted). */
function problemsOf(raw: unknown): string[] {
  try {
    parseGatewayConfig(raw);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected the config to be refused');
}

describe('parseGatewayConfig — a bad config names the field', () => {
  it.each([
    {
      name: 'a tenant without API keys',
      raw: gatewayConfigInput({ tenants: [{ id: 'acme' }] }),
      problem: 'tenants[0].apiKeys: tenant "acme" has no API key (apiKeys or apiKeySha256)',
    },
    {
      name: 'an API key shorter than 16 characters',
      raw: gatewayConfigInput({ tenants: [{ id: 'acme', apiKeys: ['short'] }] }),
      problem: /^tenants\[0\]\.apiKeys\[0\]: an API key must be at least 16 characters$/,
    },
    {
      name: 'an apiKeySha256 that is not a digest',
      raw: gatewayConfigInput({ tenants: [{ id: 'acme', apiKeySha256: ['ABC'] }] }),
      problem: /^tenants\[0\]\.apiKeySha256\[0\]: must be a lowercase hex SHA-256 digest/,
    },
    {
      name: 'a tenant id with capitals',
      raw: gatewayConfigInput({ tenants: [{ id: 'Acme', apiKeys: [API_KEYS.acme] }] }),
      problem: /^tenants\[0\]\.id: must be 1-40 lowercase letters/,
    },
    {
      name: 'quiet hours with a time that is not HH:MM',
      raw: gatewayConfigInput({ tenants: [{ id: 'acme', apiKeys: [API_KEYS.acme], quietHours: { start: '9pm', end: '08:00' } }] }),
      problem: /^tenants\[0\]\.quietHours\.start: a time of day is "HH:MM", 00:00 to 23:59$/,
    },
    {
      name: 'quiet hours past 23:59',
      raw: gatewayConfigInput({ tenants: [{ id: 'acme', apiKeys: [API_KEYS.acme], quietHours: { start: '21:00', end: '24:00' } }] }),
      problem: /^tenants\[0\]\.quietHours\.end: a time of day is "HH:MM"/,
    },
    {
      name: 'quiet hours that start when they end',
      raw: gatewayConfigInput({ tenants: [{ id: 'acme', apiKeys: [API_KEYS.acme], quietHours: { start: '08:00', end: '08:00' } }] }),
      problem: /^tenants\[0\]\.quietHours\.end: start and end must differ/,
    },
    {
      name: 'no tenant',
      raw: gatewayConfigInput({ tenants: [] }),
      problem: 'tenants: at least one tenant is needed',
    },
    {
      name: 'a duplicate tenant id',
      raw: gatewayConfigInput({ tenants: [{ id: 'acme', apiKeys: [API_KEYS.acme] }, { id: 'acme', apiKeys: [API_KEYS.globex] }] }),
      problem: 'tenants: duplicate tenant id "acme"',
    },
    {
      name: 'one API key given to two tenants',
      raw: gatewayConfigInput({ tenants: [{ id: 'acme', apiKeys: [API_KEYS.acme] }, { id: 'globex', apiKeys: [API_KEYS.acme] }] }),
      problem: /^tenants\[1\]: an API key of tenant "globex" \(sha256 [0-9a-f]{8}…\) is also a key of tenant "acme"$/,
    },
    {
      name: 'a tenant rate limit above what one DynamoDB item counts',
      raw: gatewayConfigInput({ tenants: [{ id: 'acme', apiKeys: [API_KEYS.acme], rateLimitPerSecond: 1001 }] }),
      problem: 'tenants[0].rateLimitPerSecond: at most 1000 requests per second per tenant (one DynamoDB item counts them); send batches for more messages',
    },
    {
      name: 'a tenant rate limit of zero',
      raw: gatewayConfigInput({ tenants: [{ id: 'acme', apiKeys: [API_KEYS.acme], rateLimitPerSecond: 0 }] }),
      problem: /^tenants\[0\]\.rateLimitPerSecond: /,
    },
    {
      name: 'a carrier port out of range',
      raw: gatewayConfigInput({ carriers: [carrierInput('c-a', { port: 70000 }), carrierInput('c-b')] }),
      problem: /^carriers\[0\]\.port: /,
    },
    {
      name: 'a systemId longer than 15 characters',
      raw: gatewayConfigInput({ carriers: [carrierInput('c-a'), carrierInput('c-b', { systemId: 'a-very-long-system-id' })] }),
      problem: 'carriers[1].systemId: SMPP system_id is at most 15 characters',
    },
    {
      name: 'an SMPP password longer than 8 characters',
      raw: gatewayConfigInput({ carriers: [carrierInput('c-a', { password: 'much-too-long' }), carrierInput('c-b')] }),
      problem: 'carriers[0].password: SMPP passwords are at most 8 characters',
    },
    {
      name: 'a carrier without password or passwordSecret',
      raw: gatewayConfigInput({ carriers: [carrierInput('c-a'), carrierInput('c-b', { password: undefined })] }),
      problem: 'carriers[1].password: a carrier needs password (local) or passwordSecret (Secrets Manager)',
    },
    {
      name: 'a duplicate carrier id',
      raw: gatewayConfigInput({ carriers: [carrierInput('c-a'), carrierInput('c-a')], routes: [{ id: 'rest', kind: 'static', default: true, carrier: 'c-a' }] }),
      problem: 'carriers: duplicate carrier id "c-a"',
    },
    {
      name: 'a route to an unknown carrier',
      raw: gatewayConfigInput({
        routes: [
          { id: 'uk', kind: 'static', match: { prefix: ['+447'] }, carrier: 'c-a' },
          { id: 'de', kind: 'static', match: { country: ['DE'] }, carrier: 'c-b' },
          { id: 'fr', kind: 'static', match: { country: ['FR'] }, carrier: 'nope' },
          { id: 'rest', kind: 'static', default: true, carrier: 'c-a' },
        ],
      }),
      problem: 'routes[2] "fr": unknown carrier "nope"',
    },
    {
      name: 'a route prefix without "+"',
      raw: gatewayConfigInput({ routes: [{ id: 'uk', kind: 'static', match: { prefix: ['447'] }, carrier: 'c-a' }] }),
      problem: 'routes[0].match.prefix[0]: a prefix is "+" followed by digits',
    },
    {
      name: 'a route country that is not ISO 3166-1 alpha-2',
      raw: gatewayConfigInput({ routes: [{ id: 'uk', kind: 'static', match: { country: ['UK '] }, carrier: 'c-a' }] }),
      problem: 'routes[0].match.country[0]: a country is an ISO 3166-1 alpha-2 code such as "GB"',
    },
    {
      name: 'a route of unknown kind',
      raw: gatewayConfigInput({ routes: [{ id: 'uk', kind: 'random', carrier: 'c-a' }] }),
      problem: /^routes\[0\]\.kind: /,
    },
    {
      name: 'an unknown top-level field',
      raw: gatewayConfigInput({ tennants: [] }),
      problem: /^\(root\): .*tennants/,
    },
    {
      name: 'an unknown carrier field',
      raw: gatewayConfigInput({ carriers: [carrierInput('c-a', { hostname: 'x' }), carrierInput('c-b')] }),
      problem: /^carriers\[0\]: .*hostname/,
    },
    {
      name: 'an Elastic IP allocation id that is not one',
      raw: gatewayConfigInput({ network: { eipAllocationIds: ['203.0.113.10'] } }),
      problem: /^network\.eipAllocationIds\[0\]: must be an Elastic IP allocation id such as eipalloc-0123456789abcdef0/,
    },
    {
      name: 'Elastic IP allocations without a NAT gateway',
      raw: gatewayConfigInput({ network: { natGateway: false, eipAllocationIds: [EIP_A] } }),
      problem: /^network\.eipAllocationIds: needs natGateway: true; the Elastic IPs are the NAT gateways' addresses/,
    },
    {
      name: 'more Elastic IP allocations than availability zones (one NAT gateway each)',
      raw: gatewayConfigInput({ network: { eipAllocationIds: [EIP_A, EIP_B, 'eipalloc-0cccccccccccccccc'] } }),
      problem: /^network\.eipAllocationIds: at most 2: one NAT gateway, and so one Elastic IP, in each of the worker VPC's 2 availability zones$/,
    },
    {
      name: 'one Elastic IP allocation listed twice',
      raw: gatewayConfigInput({ network: { eipAllocationIds: [EIP_A, EIP_A] } }),
      problem: /^network\.eipAllocationIds: an allocation id is listed twice/,
    },
    {
      name: 'an empty list of Elastic IP allocations',
      raw: gatewayConfigInput({ network: { eipAllocationIds: [] } }),
      problem: /^network\.eipAllocationIds: give at least one allocation id, or leave the field out/,
    },
    {
      name: 'maxBatchSize above 100',
      raw: gatewayConfigInput({ limits: { maxBatchSize: 101 } }),
      problem: /^limits\.maxBatchSize: /,
    },
  ])('$name', ({ raw, problem }) => {
    // Act
    const problems = problemsOf(raw);
    // Assess
    if (typeof problem === 'string') expect(problems).toContain(problem);
    else expect(problems.some((p) => problem.test(p)), `no problem matches ${problem}: ${JSON.stringify(problems)}`).toBe(true);
  });

  it('lists every problem of the file in the error message', () => {
    // Act
    let error: unknown;
    try {
      parseGatewayConfig(gatewayConfigInput({ carriers: [carrierInput('c-a', { port: 0 }), carrierInput('c-b', { systemId: 'x'.repeat(16) })] }), 'gateway.yaml');
    } catch (err) {
      error = err;
    }
    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toMatch(/^invalid gateway config gateway\.yaml:\n/);
    expect(message).toMatch(/\n {2}- carriers\[0\]\.port: /);
    expect(message).toMatch(/\n {2}- carriers\[1\]\.systemId: SMPP system_id is at most 15 characters/);
  });

  // Was a bug (fixed): duplicate API keys were looked for in the plaintext apiKeys only. The same key given to two tenants as apiKeySha256
  // (the form for real deployments), or as plaintext to one and as its digest to the
  // other, passes; MessagesApi then maps the key to whichever tenant comes last
  // (core/api/messages-api.ts line 66), so one tenant's requests act as another's.
  it.each([
    {
      name: 'as apiKeySha256 in both tenants',
      tenants: [
        { id: 'acme', apiKeySha256: [sha256Hex(API_KEYS.acme)] },
        { id: 'globex', apiKeySha256: [sha256Hex(API_KEYS.acme)] },
      ],
    },
    {
      name: 'as plaintext in one tenant and as its digest in the other',
      tenants: [
        { id: 'acme', apiKeys: [API_KEYS.acme] },
        { id: 'globex', apiKeySha256: [sha256Hex(API_KEYS.acme)] },
      ],
    },
  ])('refuses one API key given to two tenants $name', ({ tenants }) => {
    // Act
    const problems = problemsOf(gatewayConfigInput({ tenants }));
    // Assess
    expect(problems.some((p) => /^tenants\[1\]: an API key of tenant "globex" .* is also a key of tenant "acme"$/.test(p))).toBe(true);
  });
});

describe('parseGatewayConfig — a good config', () => {
  it('accepts the factory config and fills the defaults', () => {
    // Act
    const config = parseGatewayConfig(gatewayConfigInput());
    // Assess
    expect(config.stackName).toBe('SmsGateway');
    expect(config.limits).toEqual({ maxSegments: 10, maxBatchSize: 100, defaultValiditySeconds: 86_400 });
    expect(config.carriers[0]).toMatchObject({ tls: false, binds: 1, window: 10, tps: 10, receiptIdFormat: 'as-is', maxAttempts: 5 });
    // Two worker tasks: one holds the binds, the other stands by in another zone.
    expect(config.worker).toMatchObject({ desiredCount: 2, cpu: 512, memoryMiB: 1024 });
    expect(config.routes.map((r) => [r.id, r.default])).toEqual([
      ['uk', false],
      ['de', false],
      ['everything-else', true],
    ]);
  });

  it('accepts one Elastic IP allocation per availability zone, in both id lengths', () => {
    const config = parseGatewayConfig(gatewayConfigInput({ network: { eipAllocationIds: [EIP_A, 'eipalloc-12345678'] } }));
    expect(config.network).toEqual({ natGateway: true, eipAllocationIds: [EIP_A, 'eipalloc-12345678'] });
  });

  it('accepts a table without default route (that is a synth warning, not an error)', () => {
    const config = parseGatewayConfig(gatewayConfigInput({ routes: [{ id: 'uk', kind: 'static', match: { prefix: ['+447'] }, carrier: 'c-a' }] }));
    expect(config.routes).toHaveLength(1);
  });
});

describe('loadGatewayConfig', () => {
  it('loads config/local.yaml', () => {
    // Act
    const config = loadGatewayConfig(LOCAL_CONFIG);
    // Assess
    expect(config.stackName).toBe('SmsGatewayLocal');
    expect(config.tenants.map((t) => [t.id, t.rateLimitPerSecond])).toEqual([['acme', 200], ['globex', 200], ['stark', 200], ['initech', 2], ['umbrella', 20], ['hooli', 10], ['wayne', 20]]);
    expect(config.carriers.map((c) => c.id)).toEqual(['sim-a', 'sim-b']);
    expect(config.routes.map((r) => r.id)).toContain('uk');
    expect(config.carriers.every((c) => c.simulated)).toBe(true);
  });

  it('loads config/local.yaml by its repository-relative path', () => {
    const previous = process.cwd();
    try {
      process.chdir(resolve(__dirname, '../..'));
      expect(loadGatewayConfig('config/local.yaml').stackName).toBe('SmsGatewayLocal');
    } finally {
      process.chdir(previous);
    }
  });

  it('names a missing file', () => {
    expect(() => loadGatewayConfig('/nonexistent/gateway.yaml')).toThrow(/invalid gateway config \/nonexistent\/gateway\.yaml:\n {2}- cannot read file/);
  });

  it('names a file that is not YAML, and one that is not JSON', () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'gateway-config-'));
    writeFileSync(join(dir, 'bad.yaml'), 'tenants: [unclosed\n');
    writeFileSync(join(dir, 'bad.json'), '{"tenants": ');
    // Act / Assess
    expect(() => loadGatewayConfig(join(dir, 'bad.yaml'))).toThrow(/- not valid YAML: /);
    expect(() => loadGatewayConfig(join(dir, 'bad.json'))).toThrow(/- not valid JSON: /);
  });

  it('names the field of a bad value inside a file', () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'gateway-config-'));
    const path = join(dir, 'gateway.json');
    writeFileSync(path, JSON.stringify(gatewayConfigInput({ carriers: [carrierInput('c-a'), carrierInput('c-b', { port: 'x' })] })));
    // Act / Assess
    expect(() => loadGatewayConfig(path)).toThrow(/- carriers\[1\]\.port: /);
  });
});

describe('toRuntimeConfig', () => {
  it('keeps only SHA-256 digests of the API keys and no carrier credentials', () => {
    // Prepare
    const digest = sha256Hex('a-key-given-as-digest-only');
    const config = parseGatewayConfig(gatewayConfigInput({ tenants: [{ id: 'acme', apiKeys: [API_KEYS.acme], apiKeySha256: [digest] }] }));
    // Act
    const runtime = toRuntimeConfig(config);
    const serialised = JSON.stringify(runtime);
    // Assess
    expect(runtime.tenants).toEqual([
      {
        id: 'acme',
        apiKeySha256: [digest, sha256Hex(API_KEYS.acme)],
        rateLimitPerSecond: 50,
        numbers: [],
        optOut: { scope: 'tenant', appliesTo: 'all', stopKeywords: [], startKeywords: [], helpKeywords: [], replies: {} },
      },
    ]);
    expect(serialised).not.toContain(API_KEYS.acme);
    expect(serialised).not.toContain('secret');
    expect(serialised).not.toContain('systemId');
    expect(runtime.carriers).toEqual([
      { id: 'c-a', maxAttempts: 5, tps: 10 },
      { id: 'c-b', maxAttempts: 5, tps: 10 },
    ]);
    expect(runtime.routes).toEqual(config.routes);
    expect(runtime.version).toBe(1);
  });

  it('carries a tenant\'s quiet hours to the Lambdas', () => {
    const config = parseGatewayConfig(gatewayConfigInput({ tenants: [{ id: 'acme', apiKeys: [API_KEYS.acme], quietHours: { start: '21:00', end: '08:00' } }] }));
    expect(toRuntimeConfig(config).tenants[0]!.quietHours).toEqual({ start: '21:00', end: '08:00' });
  });

  it('hashes keys as lowercase hex SHA-256 of the UTF-8 key', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('compiles config/local.yaml', () => {
    const runtime = toRuntimeConfig(loadGatewayConfig(LOCAL_CONFIG));
    expect(runtime.tenants.map((t) => t.apiKeySha256)).toEqual(['acme', 'globex', 'stark', 'initech', 'umbrella', 'hooli', 'wayne'].map((id) => [sha256Hex(`dev-${id}-key-0123456789`)]));
  });
});

describe('carrier command_status overrides', () => {
  it('accepts hex and decimal keys and refuses one that is not a command_status, naming the field', () => {
    const ok = parseGatewayConfig(gatewayConfigInput({ carriers: [carrierInput('c-a', { commandStatus: { '0x00000045': 'permanent', '88': 'retryable' } }), carrierInput('c-b')] }));
    expect(ok.carriers[0]!.commandStatus).toEqual({ '0x00000045': 'permanent', '88': 'retryable' });
    expect(() => parseGatewayConfig(gatewayConfigInput({ carriers: [carrierInput('c-a', { commandStatus: { nope: 'permanent' } }), carrierInput('c-b')] }))).toThrow(/carriers\[0\]\.commandStatus: command status override "nope"/);
  });
});

/** The factory's tenants, each with its senders: no sender warning in the way of the warnings under test. */
const TENANTS_WITH_SENDERS = (gatewayConfigInput().tenants as Record<string, unknown>[]).map((t) => ({ ...t, senders: ['ACME'] }));

describe('configWarnings — the worker task is sized for its carriers', () => {
  /** The factory config (routes with a default, so only sizing can warn) with carriers c-a and c-b at these TPS, and this worker. */
  function sized([a, b]: [number, number], worker: Record<string, unknown> = {}) {
    return parseGatewayConfig(gatewayConfigInput({ tenants: TENANTS_WITH_SENDERS, carriers: [carrierInput('c-a', { tps: a }), carrierInput('c-b', { port: 2776, tps: b })], worker }));
  }
  const perTask = workerTaskCapacity(512);

  it('takes the measured messages per second per vCPU for the default task (512 CPU units, half a vCPU)', () => {
    expect(perTask).toBe(WORKER_MESSAGES_PER_SECOND_PER_VCPU / 2);
  });

  it('says nothing when the carriers add up to exactly what one task carries', () => {
    expect(configWarnings(sized([perTask - 10, 10]))).toEqual([]);
  });

  it('warns once they add up to more, naming the fields and the numbers', () => {
    // Act
    const warnings = configWarnings(sized([perTask - 10, 10.5]));
    // Assess
    expect(warnings).toHaveLength(1);
    const n = (x: number) => String(Math.round(x * 10) / 10);
    expect(warnings[0]).toContain(
      `worker: carriers[].tps add up to ${n(perTask + 0.5)} segments per second (c-a ${n(perTask - 10)}, c-b 10.5), more than one worker task carries at worker.cpu 512: about ${n(perTask)} per second (${WORKER_MESSAGES_PER_SECOND_PER_VCPU} messages per second per vCPU, `,
    );
    expect(warnings[0]!.startsWith('worker: ')).toBe(true);
    expect(warnings[0]).toContain('one task may hold every bind of every carrier (the others standing by, or gone), so one task must carry the sum whatever worker.desiredCount is.');
    expect(warnings[0]).toMatch(/raise worker\.cpu to 1024 \(with worker\.memoryMiB 2048 or more\) or lower carriers\[\]\.tps\.$/);
  });

  it('names the smallest task size that carries the sum', () => {
    expect(configWarnings(sized([Math.ceil(workerTaskCapacity(256)), 10], { cpu: 256, memoryMiB: 512 }))[0]).toMatch(/raise worker\.cpu to 512 \(with worker\.memoryMiB 1024 or more\)/);
  });

  it('holds per task however many tasks run, since one task may hold every bind and so every carrier\'s full rate', () => {
    expect(configWarnings(sized([Math.ceil(perTask), 10], { desiredCount: 3 }))).toHaveLength(1);
  });

  it('counts CPU past one vCPU for little: the worker is one Node.js process', () => {
    // Prepare: more than one vCPU carries, on a task of four.
    const config = sized([WORKER_MESSAGES_PER_SECOND_PER_VCPU, 1], { cpu: 4096, memoryMiB: 8192 });
    // Act
    const [warning] = configWarnings(config);
    // Assess
    expect(warning).toContain(`at worker.cpu 4096: about ${WORKER_MESSAGES_PER_SECOND_PER_VCPU} per second`);
    expect(warning).toMatch(/no task size carries that today .*: lower carriers\[\]\.tps\.$/);
  });

  it('says nothing where no task runs: desiredCount 0, or a local deploy (the worker is a local process)', () => {
    expect(configWarnings(sized([490, 10], { desiredCount: 0 }))).toEqual([]);
    expect(configWarnings(sized([490, 10]), { local: true })).toEqual([]);
  });

  it('passes config/local.yaml as the local deploy synthesizes it (its one warning is the missing default route, on purpose)', () => {
    expect(workerSizingWarnings(loadGatewayConfig(LOCAL_CONFIG), { local: true })).toEqual([]);
  });

  it('passes config/example-production.yaml, whose 1-vCPU task carries its 300 segments per second', () => {
    expect(configWarnings(loadGatewayConfig(PRODUCTION_EXAMPLE))).toEqual([]);
  });

  it('gathers the routing table\'s warnings too', () => {
    const config = parseGatewayConfig(gatewayConfigInput({ tenants: TENANTS_WITH_SENDERS, routes: [{ id: 'uk', kind: 'static', match: { prefix: ['+447'] }, carrier: 'c-a' }] }));
    expect(configWarnings(config)).toEqual([expect.stringMatching(/^routes: no default route/)]);
  });
});

describe('configWarnings — sender ids', () => {
  it('warns for each tenant without senders in a config for AWS, naming it, and not in a local one', () => {
    const config = parseGatewayConfig(gatewayConfigInput({ tenants: [{ id: 'acme', apiKeys: [API_KEYS.acme], senders: ['ACME'] }, { id: 'globex', apiKeys: [API_KEYS.globex] }] }));
    expect(configWarnings(config)).toEqual([expect.stringMatching(/^tenant "globex" has no senders: it may send from any sender id/)]);
    expect(configWarnings(config, { local: true })).toEqual([]);
  });
});

describe('tenants[].twilio', () => {
  const account = { accountSid: 'AC0123456789abcdef0123456789abcdef', authToken: 'twilio-token-0123456789' };
  const withTwilio = (...accounts: Record<string, unknown>[]) =>
    gatewayConfigInput({ tenants: accounts.map((twilio, i) => ({ id: ['acme', 'globex'][i], apiKeys: [[API_KEYS.acme, API_KEYS.globex][i]], twilio })) });

  it.each([
    { name: 'an account SID that is not AC and 32 hex digits', twilio: { ...account, accountSid: 'AC123' }, problem: /^tenants\[0\]\.twilio\.accountSid: an account SID is "AC" followed by 32 lowercase hex digits$/ },
    { name: 'an account without a token or its digest', twilio: { accountSid: account.accountSid, authTokenSecret: 'sms/twilio' }, problem: /^tenants\[0\]\.twilio\.authTokenSha256: a Twilio account needs authTokenSha256/ },
    { name: 'a short plaintext token', twilio: { ...account, authToken: 'short' }, problem: /^tenants\[0\]\.twilio\.authToken: an auth token must be at least 16 characters$/ },
    { name: 'a digest that is not the plaintext token’s', twilio: { ...account, authTokenSha256: 'a'.repeat(64) }, problem: /^tenants\[0\]\.twilio\.authTokenSha256: is not the SHA-256 of authToken/ },
  ])('refuses $name, naming the field', ({ twilio, problem }) => {
    expect(problemsOf(withTwilio(twilio)).some((p) => problem.test(p))).toBe(true);
  });

  it('refuses one account SID given to two tenants', () => {
    expect(problemsOf(withTwilio(account, account))).toContain(`tenants[1].twilio.accountSid: ${account.accountSid} is also the Twilio account of tenant "acme"`);
  });

  it('compiles to the account SID and the token digests, never the token', () => {
    const runtime = toRuntimeConfig(parseGatewayConfig(withTwilio(account)));
    expect(runtime.tenants[0]!.twilio).toEqual({ accountSid: account.accountSid, authTokenSha256: [sha256Hex(account.authToken)] });
    expect(JSON.stringify(runtime)).not.toContain(account.authToken);
  });

  it('gives acme a Twilio account in config/local.yaml', () => {
    expect(loadGatewayConfig(LOCAL_CONFIG).tenants.find((t) => t.id === 'acme')!.twilio).toMatchObject({ accountSid: expect.stringMatching(/^AC[0-9a-f]{32}$/), authToken: expect.any(String) });
  });
});
