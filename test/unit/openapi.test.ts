/**
 * Keeps openapi.yaml in step with core/api/messages-api.ts: the documented
 * request schema is the zod schema, the documented paths and methods are the
 * routed ones, every status a representative request gets is documented for its
 * operation (and every documented one but 503 is reached), and every answer
 * validates against the documented schema for its status and content type.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { MAX_BATCH_BODY_BYTES, MAX_SINGLE_BODY_BYTES, publicView, type ApiRequest } from '../../core/api/messages-api';
import { parseGatewayConfig } from '../../core/config/load';
import { STATUSES } from '../../core/domain/message';
import { PROBLEM_TYPE_NAMES } from '../../core/http/problem';
import { MAX_TEXT_UNITS, SubmissionBody, senderProblem } from '../../core/domain/submission';
import { twilioResource } from '../../core/twilio/resource';
import { messageSid } from '../../core/twilio/sid';
import { TWILIO_STATUSES } from '../../core/twilio/status';
import { isTwilioPath, TwilioApi } from '../../core/twilio/twilio-api';
import {
  API_KEYS,
  apiFixture,
  apiRequest,
  bodyOf,
  completeMessageRecord,
  gatewayConfigInput,
  headerOf,
  LANDLINE_GB,
  messageRecord,
  MOBILE,
  runtimeConfigFor,
  submissionBody,
  TWILIO_ACCOUNT_SID,
  TWILIO_AUTH_TOKEN,
  twilioTenants,
  type ApiFixture,
} from '../support/factories';

/** The account of initech in the answers below: its 2 requests a second make the Twilio 429s. */
const INITECH_SID = 'AC99999999999999999999999999999999';
const INITECH_TOKEN = 'test-initech-twilio-token-012345';

/** lambdas/api/index.ts's dispatch: the Twilio-compatible paths to TwilioApi, the rest to MessagesApi. */
async function dispatcher(fixture: ApiFixture, tenants: Record<string, unknown>[]): Promise<(req: ApiRequest) => Promise<APIGatewayProxyResult>> {
  const twilio = new TwilioApi(fixture.api, (await runtimeConfigFor({ tenants })).tenants);
  return (req) => (isTwilioPath(req.path) ? twilio.handle(req) : fixture.api.handle(req));
}

/** A request of the Twilio-compatible API with acme's credentials; `params` form-encoded. */
function twilioRequest(method: string, path: string, params: Record<string, string> | string | null, headers: Record<string, string | undefined> = {}): ApiRequest {
  const all: Record<string, string | undefined> = {
    authorization: `Basic ${Buffer.from(`${TWILIO_ACCOUNT_SID}:${TWILIO_AUTH_TOKEN}`).toString('base64')}`,
    'content-type': 'application/x-www-form-urlencoded',
    ...headers,
  };
  for (const [k, v] of Object.entries(all)) if (v === undefined) delete all[k];
  return { method, path, headers: all, query: {}, body: params === null || typeof params === 'string' ? params : new URLSearchParams(params).toString() };
}

// ------------------------------------------------------------------ the document

interface Schema {
  $ref?: string;
  type?: string;
  enum?: unknown[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  oneOf?: Schema[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  format?: string;
  nullable?: boolean;
}

interface MediaType {
  schema: Schema;
}

interface Response {
  $ref?: string;
  description: string;
  headers?: Record<string, { $ref?: string; required?: boolean }>;
  content?: Record<string, MediaType>;
}

interface Operation {
  operationId: string;
  parameters?: { $ref?: string; name?: string; in?: string }[];
  requestBody?: { required: boolean; content: Record<string, MediaType> };
  responses: Record<string, Response>;
}

interface OpenApi {
  openapi: string;
  servers: { url: string; variables?: Record<string, { default: string }> }[];
  security: Record<string, string[]>[];
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, { type: string; in: string; name: string }>; schemas: Record<string, Schema> };
}

const doc: OpenApi = parse(readFileSync(resolve(__dirname, '../../openapi.yaml'), 'utf8'));

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;

/** Follows a local "#/a/b/c" reference. */
function deref<T>(node: T & { $ref?: string }): T {
  if (!node.$ref) return node;
  const target = node.$ref
    .replace(/^#\//, '')
    .split('/')
    .reduce<unknown>((at, key) => (at as Record<string, unknown> | undefined)?.[key], doc);
  if (target === undefined) throw new Error(`unresolved $ref ${node.$ref}`);
  return deref(target as T & { $ref?: string });
}

function schema(name: string): Schema {
  const s = doc.components.schemas[name];
  if (!s) throw new Error(`openapi.yaml has no schema ${name}`);
  return s;
}

function operations(): { path: string; method: string; operation: Operation }[] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    HTTP_METHODS.filter((m) => item[m] !== undefined).map((m) => ({ path, method: m.toUpperCase(), operation: item[m]! })),
  );
}

/** The documented path template a concrete path belongs to. */
function templateOf(path: string): string | undefined {
  return Object.keys(doc.paths).find((template) => new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path));
}

// ------------------------------------------------------------------ a small validator for the subset the document uses

function validate(s: Schema, value: unknown, at = '$'): string[] {
  const resolved = deref(s);
  if (resolved.nullable && value === null) return [];
  if (resolved.oneOf) {
    const matching = resolved.oneOf.filter((option) => validate(option, value, at).length === 0).length;
    return matching === 1 ? [] : [`${at}: matches ${matching} of the oneOf schemas`];
  }
  const errors: string[] = [];
  if (resolved.enum && !resolved.enum.includes(value)) errors.push(`${at}: ${JSON.stringify(value)} is not one of ${JSON.stringify(resolved.enum)}`);
  switch (resolved.type) {
    case 'object': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return [...errors, `${at}: not an object`];
      const record = value as Record<string, unknown>;
      for (const key of resolved.required ?? []) if (!(key in record)) errors.push(`${at}.${key}: required`);
      for (const [key, v] of Object.entries(record)) {
        const property = resolved.properties?.[key];
        if (property) errors.push(...validate(property, v, `${at}.${key}`));
        else if (resolved.additionalProperties === false) errors.push(`${at}.${key}: not documented`);
      }
      break;
    }
    case 'array':
      if (!Array.isArray(value)) return [...errors, `${at}: not an array`];
      if (resolved.items) value.forEach((item, i) => errors.push(...validate(resolved.items!, item, `${at}[${i}]`)));
      break;
    case 'string':
      if (typeof value !== 'string') return [...errors, `${at}: not a string`];
      if (resolved.format === 'uuid' && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(value)) errors.push(`${at}: not a uuid`);
      if (resolved.format === 'date-time' && Number.isNaN(Date.parse(value))) errors.push(`${at}: not a date-time`);
      if (resolved.pattern && !new RegExp(resolved.pattern).test(value)) errors.push(`${at}: does not match ${resolved.pattern}`);
      break;
    case 'integer':
      if (!Number.isInteger(value)) return [...errors, `${at}: not an integer`];
      break;
    case 'boolean':
      if (typeof value !== 'boolean') errors.push(`${at}: not a boolean`);
      break;
  }
  if (typeof value === 'number') {
    if (resolved.minimum !== undefined && value < resolved.minimum) errors.push(`${at}: below ${resolved.minimum}`);
    if (resolved.maximum !== undefined && value > resolved.maximum) errors.push(`${at}: above ${resolved.maximum}`);
  }
  return errors;
}

// ------------------------------------------------------------------ the document itself

describe('openapi.yaml', () => {
  it('is OpenAPI 3.0.3 with a placeholder server and the x-api-key scheme required everywhere', () => {
    expect(doc.openapi).toBe('3.0.3');
    expect(doc.servers).toEqual([expect.objectContaining({ url: '{apiUrl}', variables: { apiUrl: expect.objectContaining({ default: expect.any(String) }) } })]);
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: 'apiKey', in: 'header', name: 'x-api-key' });
    expect(doc.security).toEqual([{ apiKey: [] }]);
  });

  it('resolves every $ref', () => {
    const refs: string[] = [];
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node !== null && typeof node === 'object') {
        for (const [k, v] of Object.entries(node)) {
          if (k === '$ref' && typeof v === 'string') refs.push(v);
          else walk(v);
        }
      }
    };
    walk(doc);
    expect(refs.length).toBeGreaterThan(10);
    for (const ref of refs) expect(() => deref({ $ref: ref }), ref).not.toThrow();
  });

  it('documents exactly the eighteen operations, each with a JSON request body where there is one (a form on the Twilio-compatible paths)', () => {
    expect(operations().map(({ method, path }) => `${method} ${path}`)).toEqual([
      'GET /v1/messages',
      'POST /v1/messages',
      'POST /v1/messages/batch',
      'GET /v1/messages/{id}',
      'DELETE /v1/messages/{id}',
      'GET /v1/opt-outs',
      'GET /v1/inbound',
      'GET /v1/inbound/{id}',
      'GET /v1/usage',
      'GET /v1/opt-outs/{number}',
      'PUT /v1/opt-outs/{number}',
      'DELETE /v1/opt-outs/{number}',
      'GET /problems',
      'GET /problems/{name}',
      'GET /2010-04-01/Accounts/{AccountSid}/Messages.json',
      'POST /2010-04-01/Accounts/{AccountSid}/Messages.json',
      'GET /2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json',
      'POST /2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json',
    ]);
    for (const { path, method, operation } of operations()) {
      const body = isTwilioPath(path) ? 'application/x-www-form-urlencoded' : 'application/json';
      if (method === 'POST' || method === 'PUT') expect(Object.keys(operation.requestBody?.content ?? {}), `${method} ${path}`).toEqual([body]);
    }
  });

  it('documents Idempotency-Key and dryRun on both POST operations of /v1', () => {
    for (const { method, operation } of operations().filter((o) => o.method === 'POST' && !isTwilioPath(o.path))) {
      const names = (operation.parameters ?? []).map((p) => deref(p)).map((p) => `${p.in}:${p.name}`);
      expect(names, method).toEqual(['header:Idempotency-Key', 'query:dryRun']);
    }
  });

  it('every error response is application/problem+json with the Problem schema (batch 422 may also be a BatchResult), a TwilioError on the Twilio-compatible paths', () => {
    for (const { path, method, operation } of operations()) {
      for (const [status, r] of Object.entries(operation.responses)) {
        if (Number(status) < 400) continue;
        const content = deref(r).content ?? {};
        if (isTwilioPath(path)) {
          expect(content, `${method} ${path} ${status}`).toEqual({ 'application/json': { schema: { $ref: '#/components/schemas/TwilioError' } } });
          continue;
        }
        expect(content['application/problem+json']?.schema, `${method} ${path} ${status}`).toEqual({ $ref: '#/components/schemas/Problem' });
        const others = Object.keys(content).filter((t) => t !== 'application/problem+json');
        expect(others, `${method} ${path} ${status}`).toEqual(path === '/v1/messages/batch' && status === '422' ? ['application/json'] : []);
      }
    }
  });

  it('only the problem type pages need no API key, and the Twilio-compatible paths take Basic credentials instead', () => {
    const open = operations().filter(({ operation }) => (operation as { security?: unknown[] }).security?.length === 0);
    expect(open.map(({ method, path }) => `${method} ${path}`)).toEqual(['GET /problems', 'GET /problems/{name}']);
    for (const { path, operation } of operations().filter((o) => isTwilioPath(o.path))) {
      expect((operation as { security?: unknown[] }).security, path).toEqual([{ twilioBasic: [] }]);
    }
    expect(doc.components.securitySchemes.twilioBasic).toMatchObject({ type: 'http', scheme: 'basic' });
  });

  it('TwilioMessage documents every field of the resource the code builds, and its statuses are Twilio’s', () => {
    const full = twilioResource({ ...completeMessageRecord(), text: 'Hello' }, TWILIO_ACCOUNT_SID);
    expect(Object.keys(schema('TwilioMessage').properties ?? {}).sort()).toEqual(Object.keys(full).sort());
    expect([...(schema('TwilioMessage').required ?? [])].sort()).toEqual(Object.keys(full).sort());
    expect(validate(schema('TwilioMessage'), full)).toEqual([]);
    expect(validate(schema('TwilioMessage'), twilioResource(messageRecord(), TWILIO_ACCOUNT_SID))).toEqual([]);
    expect(schema('TwilioMessageStatus').enum).toEqual([...TWILIO_STATUSES]);
  });

  it('names every problem type of the code, and only those, in ProblemTypeName and the Problem type pattern', () => {
    expect(schema('ProblemTypeName').enum).toEqual(PROBLEM_TYPE_NAMES);
    const pattern = schema('Problem').properties!.type!.pattern!;
    expect(/\(([^)]*)\)/.exec(pattern)?.[1]?.split('|')).toEqual(PROBLEM_TYPE_NAMES);
    for (const name of PROBLEM_TYPE_NAMES) expect(new RegExp(pattern).test(`https://api.test/live/problems/${name}`), name).toBe(true);
  });

  it('Problem follows RFC 9457 with errors[{field, problem}]', () => {
    const problem = schema('Problem');
    expect(problem.required).toEqual(['type', 'title', 'status', 'detail']);
    expect(Object.keys(problem.properties ?? {})).toEqual(expect.arrayContaining(['type', 'title', 'status', 'detail', 'errors']));
    expect(problem.properties?.errors?.items).toEqual({ $ref: '#/components/schemas/FieldProblem' });
    expect(schema('FieldProblem')).toMatchObject({ required: ['field', 'problem'], additionalProperties: false });
  });
});

// ------------------------------------------------------------------ request schema = zod schema

describe('SubmitRequest matches SubmissionBody', () => {
  const documented = schema('SubmitRequest');
  const fields = SubmissionBody.shape;
  type Field = keyof typeof fields;

  it('has the same properties, no others, and the same required ones', () => {
    // Prepare
    const zodKeys = Object.keys(fields) as Field[];
    const required = zodKeys.filter((k) => !fields[k].safeParse(undefined).success);
    // Assess
    expect(Object.keys(documented.properties ?? {})).toEqual(zodKeys);
    expect(documented.additionalProperties).toBe(false);
    expect(documented.required).toEqual(required);
  });

  /** A value of `length` characters that is otherwise valid for the field. */
  function ofLength(field: string, length: number): string {
    if (field === 'callbackUrl') return `https://example.com/${'a'.repeat(Math.max(0, length - 20))}`.slice(0, Math.max(length, 0));
    return 'a'.repeat(length);
  }

  it.each(Object.keys(SubmissionBody.shape))('%s: the documented limits are the schema’s', (name) => {
    // Prepare
    const property = documented.properties![name]!;
    const field = fields[name as Field];
    const accepts = (v: unknown) => field.safeParse(v).success;
    // Assess: each documented bound is exactly where the zod schema starts refusing.
    if (property.maxLength !== undefined) {
      expect(accepts(ofLength(name, property.maxLength)), `${name} at maxLength`).toBe(true);
      expect(accepts(ofLength(name, property.maxLength + 1)), `${name} over maxLength`).toBe(false);
    }
    if (property.minLength !== undefined) {
      expect(accepts(ofLength(name, property.minLength - 1)), `${name} under minLength`).toBe(false);
    }
    if (property.type === 'integer') {
      expect(accepts(property.minimum! + 0.5), `${name} fractional`).toBe(false);
      expect(accepts(String(property.minimum)), `${name} as string`).toBe(false);
      expect([accepts(property.minimum), accepts(property.minimum! - 1)]).toEqual([true, false]);
      expect([accepts(property.maximum), accepts(property.maximum! + 1)]).toEqual([true, false]);
    }
    if (property.enum) {
      for (const value of property.enum) expect(accepts(value), `${name} ${String(value)}`).toBe(true);
      expect(accepts('other'), `${name} other`).toBe(false);
    }
    if (property.type === 'string') expect(accepts(42), `${name} number`).toBe(false);
  });

  it('text maxLength is MAX_TEXT_UNITS', () => {
    expect(documented.properties?.text?.maxLength).toBe(MAX_TEXT_UNITS);
  });

  it.each(['ACME', 'My Brand', 'ABCDEFGHIJK', 'ABCDEFGHIJKL', '12345', '123456789012345', '+123456789012345', '1234567890123456', 'AC$ME', '   ', 'Ä'])(
    'the from pattern agrees with senderProblem on %j',
    (from) => {
      const pattern = new RegExp(documented.properties!.from!.pattern!);
      expect(pattern.test(from)).toBe(senderProblem(from) === undefined);
    },
  );

  it('the callbackUrl pattern agrees with the schema on the scheme', () => {
    const pattern = new RegExp(documented.properties!.callbackUrl!.pattern!);
    for (const url of ['https://example.com/cb', 'http://example.com', 'ftp://example.com', 'javascript:alert(1)']) {
      expect(pattern.test(url), url).toBe(fields.callbackUrl.safeParse(url).success);
    }
  });

  it('BatchRequest holds SubmitRequest items, at least one, at most the largest maxBatchSize the config allows', () => {
    // Prepare
    const messages = schema('BatchRequest').properties!.messages!;
    const allows = (maxBatchSize: number) => {
      try {
        parseGatewayConfig(gatewayConfigInput({ limits: { maxBatchSize } }));
        return true;
      } catch {
        return false;
      }
    };
    // Assess
    expect(messages.items).toEqual({ $ref: '#/components/schemas/SubmitRequest' });
    expect(messages.minItems).toBe(1);
    expect([allows(messages.maxItems!), allows(messages.maxItems! + 1)]).toEqual([true, false]);
    expect(schema('BatchRequest').additionalProperties).toBe(false);
  });
});

// ------------------------------------------------------------------ response schemas = what the code builds

describe('Message matches publicView()', () => {
  it('status enum equals STATUSES, and history items are StatusChange with the same enum', () => {
    expect(schema('MessageStatus').enum).toEqual([...STATUSES]);
    expect(schema('Message').properties?.status).toEqual({ $ref: '#/components/schemas/MessageStatus' });
    expect(schema('Message').properties?.history?.items).toEqual({ $ref: '#/components/schemas/StatusChange' });
    expect(schema('StatusChange').properties?.status).toEqual({ $ref: '#/components/schemas/MessageStatus' });
  });

  it('documents every field publicView can return, requires the ones it always returns, and has no text', () => {
    // Prepare
    const full = JSON.parse(JSON.stringify(publicView(completeMessageRecord())));
    const bare = publicView(messageRecord());
    const documented = schema('Message');
    // Assess
    expect(Object.keys(documented.properties ?? {}).sort()).toEqual(Object.keys(full).sort());
    expect([...(documented.required ?? [])].sort()).toEqual(Object.keys(bare).sort());
    expect(documented.properties).not.toHaveProperty('text');
    expect(validate(documented, full)).toEqual([]);
  });

  it('Receipt and StatusChange document every field the record can hold', () => {
    // Prepare
    const full = completeMessageRecord();
    const change = full.history.find((h) => Object.keys(h).length === 5)!;
    // Assess
    expect(Object.keys(schema('Receipt').properties ?? {}).sort()).toEqual(Object.keys(full.receipt!).sort());
    expect(Object.keys(schema('StatusChange').properties ?? {}).sort()).toEqual(Object.keys(change).sort());
    expect(schema('StatusChange').required).toEqual(['status', 'at']);
  });
});

// ------------------------------------------------------------------ routing = documented paths and methods

describe('the documented paths and methods are the routed ones', () => {
  let fixture: ApiFixture;
  let handle: (req: ApiRequest) => Promise<APIGatewayProxyResult>;
  let id: string;

  beforeAll(async () => {
    fixture = await apiFixture({ tenants: twilioTenants() });
    handle = await dispatcher(fixture, twilioTenants());
    id = bodyOf(await fixture.api.handle(apiRequest())).id;
    await fixture.optOuts.optOut('acme', { number: MOBILE.GB_OTHER, source: 'api', at: new Date() });
    fixture.inbound.add({ id: INBOUND_ID, carrierId: 'c-a', from: MOBILE.GB, to: '+447700900000', text: 'Yes', parts: 1, receivedAt: '2025-03-01T12:00:00.000Z', tenantId: 'acme' });
  });

  const INBOUND_ID = '0123456789abcdef0123456789abcdef';
  const concrete = (template: string) =>
    template
      .replace('/v1/inbound/{id}', `/v1/inbound/${INBOUND_ID}`)
      .replace('{id}', id)
      .replace('{name}', 'rate-limited')
      .replace('{number}', encodeURIComponent(MOBILE.GB_OTHER))
      .replace('{AccountSid}', TWILIO_ACCOUNT_SID)
      .replace('{Sid}', messageSid(id));

  it.each(operations().map(({ path, method }) => ({ path, method })))('$method $path is routed (neither 404 nor 405)', async ({ path, method }) => {
    const res = await handle(apiRequest({ method, path: concrete(path) }));
    expect([404, 405]).not.toContain(res.statusCode);
  });

  it.each(Object.keys(doc.paths))('every undocumented method on %s is 405 with the documented ones in Allow', async (path) => {
    // Prepare
    const documented = HTTP_METHODS.filter((m) => doc.paths[path]![m]).map((m) => m.toUpperCase());
    for (const method of HTTP_METHODS.map((m) => m.toUpperCase()).filter((m) => !documented.includes(m))) {
      // Act
      const res = await handle(apiRequest({ method, path: concrete(path) }));
      // Assess
      expect(res.statusCode, method).toBe(405);
      expect(headerOf(res, 'allow')).toBe(documented.join(', '));
    }
  });

  it('an undocumented path is 404', async () => {
    for (const path of ['/v1', '/v1/message', '/v1/messages/batch/1', '/v2/messages', '/2010-04-01', `/2010-04-01/Accounts/${TWILIO_ACCOUNT_SID}/Calls.json`]) {
      expect((await handle(apiRequest({ path }))).statusCode, path).toBe(404);
    }
  });
});

// ------------------------------------------------------------------ status codes and bodies = documented responses

describe('every answer of the API is documented for its operation', () => {
  const observed = new Map<string, Set<string>>();
  const answers: { name: string; req: ApiRequest; res: APIGatewayProxyResult }[] = [];
  /** A tenant with quiet hours the fixture's clock (12:00 in London) is in. */
  const QUIET_KEY = 'test-wayne-key-0123456789';

  beforeAll(async () => {
    // Prepare: no default route, so a dry run can also answer no_route; small batches; prices, and globex may send one segment a day.
    const tenants = [
      { id: 'acme', apiKeys: [API_KEYS.acme], rateLimitPerSecond: 1000, twilio: { accountSid: TWILIO_ACCOUNT_SID, authToken: TWILIO_AUTH_TOKEN } },
      { id: 'globex', apiKeys: [API_KEYS.globex], rateLimitPerSecond: 1000, quota: { segmentsPerDay: 1 } },
      { id: 'initech', apiKeys: [API_KEYS.initech], rateLimitPerSecond: 2, twilio: { accountSid: INITECH_SID, authToken: INITECH_TOKEN } },
      { id: 'wayne', apiKeys: [QUIET_KEY], rateLimitPerSecond: 1000, quietHours: { start: '09:00', end: '18:00' } },
    ];
    const fixture = await apiFixture({
      limits: { maxBatchSize: 3 },
      prices: { currency: 'EUR', perSegment: { default: 0.05, GB: 0.04 }, carriers: { 'c-b': { DE: 0.07 } } },
      tenants,
      routes: [
        { id: 'uk', kind: 'failover', match: { prefix: ['+447'] }, carriers: ['c-a', 'c-b'] },
        { id: 'de', kind: 'static', match: { country: ['DE'] }, carrier: 'c-b' },
      ],
    });
    const { messages, inbound } = fixture;
    const api = { handle: await dispatcher(fixture, tenants) };
    const single = '/v1/messages';
    const batch = '/v1/messages/batch';
    const requests: [string, ApiRequest][] = [
      ['submit', apiRequest({ body: submissionBody({ from: 'ACME', reference: 'r', callbackUrl: 'https://example.com/cb', validitySeconds: 600, type: 'promotional' }) })],
      ['submit with key', apiRequest({ headers: { 'idempotency-key': 'doc-1' } })],
      ['replay', apiRequest({ headers: { 'idempotency-key': 'doc-1' } })],
      ['key reused', apiRequest({ headers: { 'idempotency-key': 'doc-1' }, body: submissionBody({ text: 'other' }) })],
      ['bad key', apiRequest({ headers: { 'idempotency-key': 'a b' } })],
      ['dry run', apiRequest({ query: { dryRun: 'true' } })],
      ['dry run, no route', apiRequest({ query: { dryRun: 'true' }, body: submissionBody({ to: MOBILE.US }) })],
      ['invalid field', apiRequest({ body: submissionBody({ to: LANDLINE_GB, extra: 1 }) })],
      ['invalid JSON', apiRequest({ body: '{' })],
      ['empty body', apiRequest({ body: '' })],
      ['no key', apiRequest({ headers: { 'x-api-key': undefined } })],
      ['wrong key', apiRequest({ headers: { 'x-api-key': 'nope' } })],
      ['too large', apiRequest({ body: 'x'.repeat(MAX_SINGLE_BODY_BYTES + 1) })],
      ['not JSON', apiRequest({ headers: { 'content-type': 'text/plain' } })],
      ['batch', apiRequest({ path: batch, body: { messages: [submissionBody(), submissionBody({ to: LANDLINE_GB })] } })],
      ['batch with key', apiRequest({ path: batch, headers: { 'idempotency-key': 'doc-2' }, body: { messages: [submissionBody()] } })],
      ['batch key reused', apiRequest({ path: batch, headers: { 'idempotency-key': 'doc-2' }, body: { messages: [submissionBody({ text: 'other' })] } })],
      ['batch bad key', apiRequest({ path: batch, headers: { 'idempotency-key': '' }, body: { messages: [submissionBody()] } })],
      ['batch dry run', apiRequest({ path: batch, query: { dryRun: 'true' }, body: { messages: [submissionBody({ to: MOBILE.DE }), submissionBody({ to: MOBILE.US }), submissionBody({ text: '' })] } })],
      ['scheduled', apiRequest({ body: submissionBody({ sendAt: '2025-03-01T13:00:00Z' }) })],
      ['quiet hours', apiRequest({ body: submissionBody({ type: 'promotional' }), headers: { 'x-api-key': QUIET_KEY } })],
      ['scheduled dry run', apiRequest({ query: { dryRun: 'true' }, body: submissionBody({ sendAt: '2025-03-01T13:00:00Z' }) })],
      ['scheduled batch', apiRequest({ path: batch, body: { messages: [submissionBody({ sendAt: '2025-03-01T13:00:00Z' }), submissionBody({ sendAt: 'soon' })] } })],
      ['scheduled batch dry run', apiRequest({ path: batch, query: { dryRun: 'true' }, body: { messages: [submissionBody({ sendAt: '2025-03-01T13:00:00Z' })] } })],
      ['batch all invalid', apiRequest({ path: batch, body: { messages: [submissionBody({ to: LANDLINE_GB })] } })],
      ['batch too many', apiRequest({ path: batch, body: { messages: [1, 2, 3, 4] } })],
      ['batch empty', apiRequest({ path: batch, body: { messages: [] } })],
      ['batch invalid JSON', apiRequest({ path: batch, body: '[' })],
      ['batch no key', apiRequest({ path: batch, headers: { 'x-api-key': undefined } })],
      ['batch too large', apiRequest({ path: batch, body: 'x'.repeat(MAX_BATCH_BODY_BYTES + 1) })],
      ['batch not JSON', apiRequest({ path: batch, headers: { 'content-type': undefined } })],
    ];
    for (const [name, req] of requests) answers.push({ name, req, res: await api.handle(req) });

    // GET: a message further along, with every optional field.
    const { id } = bodyOf(answers[0]!.res);
    messages.put({ ...completeMessageRecord(), id, tenantId: 'acme' });
    const get = (name: string, path: string, headers: Record<string, string | undefined> = {}): [string, ApiRequest] => [name, apiRequest({ method: 'GET', path, headers, body: null })];
    for (const [name, req] of [
      get('read', `${single}/${id}`),
      get('read other tenant', `${single}/${id}`, { 'x-api-key': API_KEYS.globex }),
      get('read missing', `${single}/00000000-0000-8000-8000-000000000000`),
      get('read not a uuid', `${single}/nope`),
      get('read no key', `${single}/${id}`, { 'x-api-key': undefined }),
      get('list', single),
      get('list no key', single, { 'x-api-key': undefined }),
      ['list, first page', apiRequest({ method: 'GET', path: single, query: { limit: '1' }, body: null })],
      ['list, bad filters', apiRequest({ method: 'GET', path: single, query: { status: 'LOST', since: 'now' }, body: null })],
    ] as [string, ApiRequest][]) {
      answers.push({ name, req, res: await api.handle(req) });
    }

    // DELETE: a message that can still be canceled, and the one above that was delivered.
    const { id: open } = bodyOf(await api.handle(apiRequest({ body: submissionBody({ text: 'to cancel' }) })));
    const del = (name: string, path: string, headers: Record<string, string | undefined> = {}): [string, ApiRequest] => [name, apiRequest({ method: 'DELETE', path, headers, body: null })];
    for (const [name, req] of [
      del('cancel', `${single}/${open}`),
      del('cancel delivered', `${single}/${id}`),
      del('cancel missing', `${single}/00000000-0000-8000-8000-000000000000`),
      del('cancel no key', `${single}/${open}`, { 'x-api-key': undefined }),
    ]) {
      answers.push({ name, req, res: await api.handle(req) });
    }

    // The opt-outs: PUT without a body, twice; read, list in pages, remove; each input problem.
    const optOut = `/v1/opt-outs/${encodeURIComponent(MOBILE.GB)}`;
    const put = (name: string, path: string, body: unknown, headers: Record<string, string | undefined> = {}): [string, ApiRequest] => [name, apiRequest({ method: 'PUT', path, headers, body })];
    for (const [name, req] of [
      put('opt out', optOut, null, { 'content-type': undefined }),
      put('opt out again', optOut, {}),
      put('opt out, bad number', '/v1/opt-outs/07400123456', null),
      put('opt out, unknown field', optOut, { reason: 'form' }),
      put('opt out, not JSON', optOut, '{'),
      put('opt out, not JSON media type', optOut, 'x', { 'content-type': 'text/plain' }),
      put('opt out, too large', optOut, JSON.stringify({ sender: 'x'.repeat(2000) })),
      put('opt out no key', optOut, null, { 'x-api-key': undefined }),
      get('read opt-out', optOut),
      get('read opt-out, bad number', '/v1/opt-outs/%2B0'),
      get('read opt-out missing', `/v1/opt-outs/${encodeURIComponent(MOBILE.DE)}`),
      get('read opt-out no key', optOut, { 'x-api-key': undefined }),
      get('list opt-outs', '/v1/opt-outs'),
      get('list opt-outs no key', '/v1/opt-outs', { 'x-api-key': undefined }),
      ['list opt-outs, bad limit', apiRequest({ method: 'GET', path: '/v1/opt-outs', query: { limit: '1000' }, body: null })],
      ['list opt-outs, first page', apiRequest({ method: 'GET', path: '/v1/opt-outs', query: { limit: '1' }, body: null })],
      del('remove opt-out', optOut),
      del('remove opt-out again', optOut),
      del('remove opt-out, bad number', '/v1/opt-outs/nope'),
      del('remove opt-out no key', optOut, { 'x-api-key': undefined }),
    ] as [string, ApiRequest][]) {
      answers.push({ name, req, res: await api.handle(req) });
    }

    // The inbound messages: a list in pages, one by id, each input problem.
    const inboundId = '0123456789abcdef0123456789abcdef';
    inbound.add({ id: inboundId, carrierId: 'c-a', from: '+447400123456', to: '+447700900000', text: 'Yes', parts: 1, receivedAt: '2025-03-01T12:00:00.000Z', tenantId: 'acme' });
    inbound.add({ id: inboundId.replace('0', '1'), carrierId: 'c-a', from: '+447400123456', to: '+447700900000', text: 'No', parts: 1, receivedAt: '2025-03-01T12:01:00.000Z', tenantId: 'acme' });
    for (const [name, req] of [
      get('list inbound', '/v1/inbound'),
      ['list inbound, first page', apiRequest({ method: 'GET', path: '/v1/inbound', query: { limit: '1', from: '+447400123456' }, body: null })],
      ['list inbound, bad since', apiRequest({ method: 'GET', path: '/v1/inbound', query: { since: 'yesterday' }, body: null })],
      get('list inbound no key', '/v1/inbound', { 'x-api-key': undefined }),
      get('read inbound', `/v1/inbound/${inboundId}`),
      get('read inbound missing', '/v1/inbound/ffffffffffffffffffffffffffffffff'),
      get('read inbound no key', `/v1/inbound/${inboundId}`, { 'x-api-key': undefined }),
    ] as [string, ApiRequest][]) {
      answers.push({ name, req, res: await api.handle(req) });
    }

    // The problem type pages: no key, HTML or JSON.
    const json = { accept: 'application/json', 'x-api-key': undefined };
    for (const [name, req] of [
      get('problem types', '/problems', { 'x-api-key': undefined }),
      get('problem types as JSON', '/problems', json),
      get('a problem type', '/problems/rate-limited', { 'x-api-key': undefined }),
      get('a problem type as JSON', '/problems/validation-failed', json),
      get('no such problem type', '/problems/nope', json),
    ]) {
      answers.push({ name, req, res: await api.handle(req) });
    }

    // GET /v1/usage, and globex's quota: its second message, and a batch after it, pass its cap.
    const globex = { 'x-api-key': API_KEYS.globex };
    for (const [name, req] of [
      get('usage', '/v1/usage'),
      get('usage no key', '/v1/usage', { 'x-api-key': undefined }),
      ['globex submit', apiRequest({ headers: globex })],
      ['submit over quota', apiRequest({ headers: globex })],
      ['batch over quota', apiRequest({ path: batch, headers: globex, body: { messages: [submissionBody()] } })],
    ] as [string, ApiRequest][]) {
      answers.push({ name, req, res: await api.handle(req) });
    }
    for (const [name, query] of [
      ['usage by day', { groupBy: 'day', from: '2025-03-01', to: '2025-03-01' }],
      ['usage by country', { groupBy: 'country' }],
      ['usage by status', { groupBy: 'status' }],
      ['usage bad groupBy', { groupBy: 'week' }],
      ['usage bad range', { from: '2025-03-02', to: '2025-03-01' }],
    ] as [string, Record<string, string>][]) {
      const req = apiRequest({ method: 'GET', path: '/v1/usage', query, body: null });
      answers.push({ name, req, res: await api.handle(req) });
    }

    // The Twilio-compatible API: send, read and cancel, and each of their refusals.
    const create = `/2010-04-01/Accounts/${TWILIO_ACCOUNT_SID}/Messages.json`;
    const one = (sid: string) => `/2010-04-01/Accounts/${TWILIO_ACCOUNT_SID}/Messages/${sid}.json`;
    const send = { To: MOBILE.GB, From: 'ACME', Body: 'Hello', StatusCallback: 'https://example.com/twilio', ValidityPeriod: '600' };
    const created = await api.handle(twilioRequest('POST', create, send));
    answers.push({ name: 'twilio create', req: twilioRequest('POST', create, send), res: created });
    const { sid: openSid } = bodyOf(created);
    for (const [name, req] of [
      ['twilio create with token', twilioRequest('POST', create, send, { 'i-twilio-idempotency-token': 'doc-3' })],
      ['twilio replay', twilioRequest('POST', create, send, { 'i-twilio-idempotency-token': 'doc-3' })],
      ['twilio create, invalid To', twilioRequest('POST', create, { ...send, To: LANDLINE_GB })],
      ['twilio create, media', twilioRequest('POST', create, { ...send, MediaUrl: 'https://example.com/a.png' })],
      ['twilio create, no credentials', twilioRequest('POST', create, send, { authorization: undefined })],
      ['twilio create, too large', twilioRequest('POST', create, `Body=${'x'.repeat(40_000)}`)],
      ['twilio fetch', twilioRequest('GET', one(messageSid(id)), null)],
      ['twilio list', { ...twilioRequest('GET', create, null), query: { PageSize: '1' } }],
      ['twilio list, bad PageSize', { ...twilioRequest('GET', create, null), query: { PageSize: 'many' } }],
      ['twilio list, no credentials', twilioRequest('GET', create, null, { authorization: undefined })],
      ['twilio fetch missing', twilioRequest('GET', one(messageSid('00000000-0000-8000-8000-000000000000')), null)],
      ['twilio fetch, no credentials', twilioRequest('GET', one(messageSid(id)), null, { authorization: undefined })],
      ['twilio cancel', twilioRequest('POST', one(openSid), { Status: 'canceled' })],
      ['twilio cancel delivered', twilioRequest('POST', one(messageSid(id)), { Status: 'canceled' })],
      ['twilio cancel missing', twilioRequest('POST', one(messageSid('00000000-0000-8000-8000-000000000000')), { Status: 'canceled' })],
      ['twilio cancel, no credentials', twilioRequest('POST', one(openSid), { Status: 'canceled' }, { authorization: undefined })],
      ['twilio cancel, too large', twilioRequest('POST', one(openSid), `Status=${'x'.repeat(40_000)}`)],
    ] as [string, ApiRequest][]) {
      answers.push({ name, req, res: await api.handle(req) });
    }

    // 429: tenant initech may make 2 requests per second (the fixture's clock stands still).
    const initech = { 'x-api-key': API_KEYS.initech };
    for (const [name, req] of [
      ['initech submit', apiRequest({ headers: initech })],
      ['initech submit again', apiRequest({ headers: initech })],
      ['submit rate-limited', apiRequest({ headers: initech })],
      ['batch rate-limited', apiRequest({ path: batch, headers: initech, body: { messages: [submissionBody()] } })],
      get('read rate-limited', `${single}/${id}`, initech),
      get('list rate-limited', single, initech),
      get('usage rate-limited', '/v1/usage', initech),
      del('cancel rate-limited', `${single}/${open}`, initech),
      ['opt out rate-limited', apiRequest({ method: 'PUT', path: '/v1/opt-outs/%2B447400123456', headers: initech, body: null })],
      get('read opt-out rate-limited', '/v1/opt-outs/%2B447400123456', initech),
      get('list opt-outs rate-limited', '/v1/opt-outs', initech),
      del('remove opt-out rate-limited', '/v1/opt-outs/%2B447400123456', initech),
      ...(
        [
          ['twilio create rate-limited', 'POST', `/2010-04-01/Accounts/${INITECH_SID}/Messages.json`, { To: MOBILE.GB, From: 'ACME', Body: 'x' }],
          ['twilio list rate-limited', 'GET', `/2010-04-01/Accounts/${INITECH_SID}/Messages.json`, null],
          ['twilio fetch rate-limited', 'GET', `/2010-04-01/Accounts/${INITECH_SID}/Messages/${messageSid(id)}.json`, null],
          ['twilio cancel rate-limited', 'POST', `/2010-04-01/Accounts/${INITECH_SID}/Messages/${messageSid(id)}.json`, { Status: 'canceled' }],
        ] as const
      ).map(([name, method, path, params]): [string, ApiRequest] => [
        name,
        twilioRequest(method, path, params, { authorization: `Basic ${Buffer.from(`${INITECH_SID}:${INITECH_TOKEN}`).toString('base64')}` }),
      ]),
      get('list inbound rate-limited', '/v1/inbound', initech),
      get('read inbound rate-limited', `/v1/inbound/${inboundId}`, initech),
    ] as [string, ApiRequest][]) {
      answers.push({ name, req, res: await api.handle(req) });
    }

    for (const { req, res } of answers) {
      const key = `${req.method} ${templateOf(req.path)}`;
      if (!observed.has(key)) observed.set(key, new Set());
      observed.get(key)!.add(String(res.statusCode));
    }
  });

  it('every status observed is documented for its operation', () => {
    for (const [key, statuses] of observed) {
      const [method, path] = key.split(' ') as [string, string];
      const documented = Object.keys(doc.paths[path]?.[method.toLowerCase() as 'get']?.responses ?? {});
      expect([...statuses].filter((s) => !documented.includes(s)), key).toEqual([]);
    }
  });

  it('every documented status but 503 (from the Lambda wrapper) is observed', () => {
    for (const { path, method, operation } of operations()) {
      const seen = observed.get(`${method} ${path}`) ?? new Set();
      expect(Object.keys(operation.responses).filter((s) => s !== '503' && !seen.has(s)), `${method} ${path}`).toEqual([]);
    }
  });

  it('every answer has a documented content type, validates against its schema, and has the required headers', () => {
    for (const { name, req, res } of answers) {
      // Prepare
      const operation = doc.paths[templateOf(req.path)!]![req.method.toLowerCase() as 'get']!;
      const response = deref(operation.responses[String(res.statusCode)]!);
      if (res.statusCode === 204) {
        expect(response.content, `${name}: a 204 has no content`).toBeUndefined();
        expect(res.body, name).toBe('');
        continue;
      }
      const type = headerOf(res, 'content-type')!.split(';')[0]!;
      const media = response.content?.[type];
      // Assess
      expect(media, `${name}: ${res.statusCode} ${type} is not documented`).toBeDefined();
      expect(validate(media!.schema, type.endsWith('json') ? bodyOf(res) : res.body), `${name}: ${res.body}`).toEqual([]);
      for (const [header, spec] of Object.entries(response.headers ?? {})) {
        if (deref(spec).required) expect(headerOf(res, header), `${name}: header ${header}`).toBeDefined();
      }
    }
  });

  it('a problem’s status is the HTTP status, and the documented problems name the field where a field is at fault', () => {
    for (const { name, res } of answers.filter((a) => headerOf(a.res, 'content-type') === 'application/problem+json')) {
      const problem = bodyOf(res);
      expect(problem.status, name).toBe(res.statusCode);
      if (problem.type.endsWith('/validation-failed') || problem.type.endsWith('/idempotency-key-reused')) {
        expect(problem.errors?.length, name).toBeGreaterThan(0);
      }
    }
  });

  it('the replay header is documented', () => {
    const replay = answers.find((a) => a.name === 'replay')!;
    const headers = deref(doc.paths['/v1/messages']!.post!.responses['202']!).headers ?? {};
    expect(headerOf(replay.res, 'idempotent-replayed')).toBe('true');
    expect(Object.keys(headers).map((h) => h.toLowerCase())).toEqual(['location', 'idempotent-replayed']);
  });
});
