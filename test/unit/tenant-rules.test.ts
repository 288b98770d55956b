/** A tenant's sender and destination rules (core/domain/tenant-rules.ts, sender-rules.ts, destination-rules.ts). */
import { describe, expect, it } from 'vitest';
import type { RuntimeTenant } from '../../core/config/runtime';
import { destinationProblem } from '../../core/domain/destination-rules';
import { validateSubmission, type ValidSubmission } from '../../core/domain/submission';
import { TenantRules } from '../../core/domain/tenant-rules';
import { MOBILE } from '../support/factories';

const LIMITS = { maxSegments: 10, defaultValiditySeconds: 86_400 };

function tenant(overrides: Partial<RuntimeTenant> = {}): RuntimeTenant {
  return {
    id: 'acme',
    apiKeySha256: [],
    rateLimitPerSecond: 50,
    numbers: ['+447700900000', '60100'],
    optOut: { scope: 'tenant', appliesTo: 'all', stopKeywords: [], startKeywords: [], helpKeywords: [], replies: {} },
    ...overrides,
  };
}

function valid(body: Record<string, unknown>): ValidSubmission {
  const result = validateSubmission({ text: 'hi', ...body }, LIMITS);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.value;
}

describe('sender rules', () => {
  const rules = new TenantRules(tenant({ senders: ['ACME'], defaultSender: 'ACME' }));

  it.each([
    ['one of its senders', 'ACME'],
    ['one of its numbers', '+447700900000'],
    ['one of its numbers without "+"', '447700900000'],
    ['its short code', '60100'],
  ])('allow %s', (_, from) => {
    expect(rules.apply(valid({ to: MOBILE.GB, from }))).toEqual({ ok: true, value: expect.objectContaining({ from }) });
  });

  it.each([
    ['another name', 'GLOBEX'],
    ['its name in other letter case (the handset shows it as sent)', 'Acme'],
    ['another number', '+447700900001'],
  ])('refuse %s as sender-not-allowed, naming from', (_, from) => {
    expect(rules.apply(valid({ to: MOBILE.GB, from }), 'messages[2]')).toEqual({ ok: false, type: 'sender-not-allowed', problems: [{ field: 'messages[2].from', problem: expect.any(String) }] });
  });

  it('fill in the default sender when from is left out', () => {
    expect(rules.apply(valid({ to: MOBILE.GB }))).toEqual({ ok: true, value: expect.objectContaining({ from: 'ACME' }) });
  });

  it('leave from out without a default sender, and take any sender id without senders', () => {
    const open = new TenantRules(tenant());
    expect(open.apply(valid({ to: MOBILE.GB }))).toEqual({ ok: true, value: expect.not.objectContaining({ from: expect.anything() }) });
    expect(open.apply(valid({ to: MOBILE.GB, from: 'ANYONE' }))).toEqual({ ok: true, value: expect.objectContaining({ from: 'ANYONE' }) });
  });
});

describe('destination rules', () => {
  it.each([
    ['toll-free', '+448001234567'],
    ['premium-rate', '+449098790000'],
    ['VoIP-only', '+445600000000'],
    ['pager', '+447623456789'],
    ['toll-free', '+18005550123'],
    ['premium-rate', '+19005550123'],
    ['toll-free', '+498001234567'],
  ])('refuse a %s number (%s) for every tenant', (name, to) => {
    expect(destinationProblem(valid({ to }), tenant())).toBe(`destination is a ${name} number, which the gateway does not send to`);
  });

  it('take mobile numbers, including a +1 number of a plan that does not tell mobiles from landlines', () => {
    for (const to of [MOBILE.GB, MOBILE.DE, MOBILE.US]) expect(destinationProblem(valid({ to }), tenant())).toBeUndefined();
  });

  it('still answer a landline as a number that is not a valid mobile one (validation-failed)', () => {
    expect(validateSubmission({ to: '+442071234567', text: 'hi' }, LIMITS)).toEqual({ ok: false, problems: [{ field: 'to', problem: 'destination is not a valid mobile number for its country' }] });
  });

  it('refuse a country outside an allow list and inside a block list', () => {
    expect(destinationProblem(valid({ to: MOBILE.DE }), tenant({ countries: { allow: ['GB'] } }))).toMatch(/^destination country DE is not among the tenant’s countries \(GB\)$/);
    expect(destinationProblem(valid({ to: MOBILE.GB }), tenant({ countries: { allow: ['GB'] } }))).toBeUndefined();
    expect(destinationProblem(valid({ to: MOBILE.DE }), tenant({ countries: { block: ['DE'] } }))).toBe('destination country DE is blocked for the tenant');
    expect(destinationProblem(valid({ to: MOBILE.GB }), tenant({ countries: { block: ['DE'] } }))).toBeUndefined();
  });

  it('refuse a number without a country outside every allow list', () => {
    expect(destinationProblem({ country: undefined }, tenant({ countries: { allow: ['GB'] } }))).toMatch(/non-geographic/);
    expect(destinationProblem({ country: undefined }, tenant({ countries: { block: ['GB'] } }))).toBeUndefined();
  });

  it('name the failing field to as destination-not-allowed', () => {
    expect(new TenantRules(tenant({ countries: { block: ['DE'] } })).apply(valid({ to: MOBILE.DE }))).toEqual({ ok: false, type: 'destination-not-allowed', problems: [{ field: 'to', problem: expect.any(String) }] });
  });
});
