/**
 * The numbering plans of the api bundle: the slice synth compiles from the routes, and the
 * destination check of a bundle built with the deployed options (lambda-bundle.ts), compared with the
 * in-process check, which has the plans of every country, on a corpus of numbers of every country.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALLING_CODES, numberingPlansFor } from '../../core/config/numbering-plans';
import type { RuntimeConfig } from '../../core/config/runtime';
import type { RouteConfig } from '../../core/config/schema';
import { normaliseDestination, type validateSubmission } from '../../core/domain/submission';
import { maskNumber } from '../../core/util/mask';
import { REPO_ROOT } from '../../lib/constructs/gateway-function';
import { esbuildOptions, lambdaBundleOptions } from '../../lib/constructs/lambda-bundle';
import { defaultRoute, LANDLINE_GB, MOBILE } from '../support/factories';

/** Ofcom's drama range: config/local.yaml has fictionalNumbers on, so its bundles take these as GB mobiles (core/config/fictional-numbers.ts). */
const FICTIONAL = /^\+447700900\d{3}$/;
import { numberCorpus } from '../support/numbers';

/** What a test needs of a bundle: its destination check, and which modules went into it. */
interface Bundled {
  normaliseDestination: typeof normaliseDestination;
  validateSubmission: typeof validateSubmission;
  maskNumber: typeof maskNumber;
  inputs: string[];
}

const outDir = mkdtempSync(join(tmpdir(), 'numbering-plans-'));

/** The destination check as the api bundle of a config with these routes has it. */
async function bundledWith(runtimeConfig: RuntimeConfig, name: string): Promise<Bundled> {
  const outfile = join(outDir, `${name}.js`);
  const result = await build({
    stdin: { contents: "export * from './core/domain/submission'; export { maskNumber } from './core/util/mask';", resolveDir: REPO_ROOT, loader: 'ts' },
    bundle: true,
    platform: 'node',
    ...esbuildOptions(lambdaBundleOptions(runtimeConfig)),
    outfile,
    metafile: true,
    logLevel: 'silent',
  });
  return { ...(require(outfile) as Omit<Bundled, 'inputs'>), inputs: Object.keys(result.metafile.inputs) };
}

/** The calling code a number starts with (they are prefix-free), if any. */
function callingCodeOf(number: string): string | undefined {
  const digits = number.replace(/[^0-9]/g, '');
  return Object.keys(CALLING_CODES).find((code) => digits.startsWith(code));
}

function problemOf(answer: ReturnType<typeof normaliseDestination>): string | undefined {
  return 'problem' in answer ? answer.problem : undefined;
}

/** The calling codes config/local.yaml's routes reach: +447 (UK mobiles), DE, +1 (North America). */
const ROUTED_CODES = ['1', '44', '49'];
const corpus = numberCorpus();
/** The corpus split by whether a route of config/local.yaml reaches the number's calling code (numbers of none count as reached: no plan is left out for them). */
const reached = corpus.filter((n) => ROUTED_CODES.includes(callingCodeOf(n) ?? ROUTED_CODES[0]!));
const unreached = corpus.filter((n) => !reached.includes(n));
let localRoutes: RouteConfig[];
let routedOnly: Bundled;
let everyCountry: Bundled;

beforeAll(async () => {
  // The config loader brings classic zod: imported when needed, as factories.ts does (nothing here reads zod's messages).
  const { loadGatewayConfig } = await import('../../core/config/load.js');
  const { toRuntimeConfig } = await import('../../core/config/runtime.js');
  const local = toRuntimeConfig(loadGatewayConfig(join(REPO_ROOT, 'config', 'local.yaml')));
  localRoutes = local.routes;
  routedOnly = await bundledWith(local, 'local');
  everyCountry = await bundledWith({ ...local, routes: [...local.routes, defaultRoute('everything-else', 'sim-a')] }, 'default-route');
}, 60_000);

afterAll(() => {
  rmSync(outDir, { recursive: true, force: true });
});

describe('numberingPlansFor', () => {
  it('keeps the plans of every country of each calling code the routes of config/local.yaml reach (+447, DE, +1)', () => {
    // Act
    const plans = numberingPlansFor(localRoutes)!;
    // Assess
    expect(Object.keys(plans.metadata.country_calling_codes)).toEqual(ROUTED_CODES);
    expect(Object.keys(plans.metadata.countries).sort()).toEqual(ROUTED_CODES.flatMap((code) => CALLING_CODES[code]!).sort());
    expect(plans.metadata.nonGeographic).toEqual({});
    expect(plans.unrouted).toEqual(Object.keys(CALLING_CODES).filter((code) => !ROUTED_CODES.includes(code)));
  });

  it('keeps each plan as libphonenumber’s mobile metadata ships it, but for the type table', () => {
    const whole = require('libphonenumber-js/metadata.mobile.json') as { countries: Record<string, unknown[]> };
    const plans = numberingPlansFor(localRoutes)!;
    const withoutTypes = (plan: unknown[]) => plan.filter((_, i) => i !== 11);
    const countries = plans.metadata.countries as unknown as Record<string, unknown[]>;
    expect(Object.fromEntries(Object.entries(countries).map(([c, plan]) => [c, withoutTypes(plan)]))).toEqual(
      Object.fromEntries(Object.keys(countries).map((c) => [c, withoutTypes(whole.countries[c]!)])),
    );
  });

  it('types each plan with the mobile pattern and the refused types of the max metadata, and no fixed-line or personal-number pattern', () => {
    const max = require('libphonenumber-js/metadata.max.json') as { countries: Record<string, unknown[]> };
    const mobile = require('libphonenumber-js/metadata.mobile.json') as { countries: Record<string, unknown[]> };
    const gb = (numberingPlansFor(localRoutes)!.metadata.countries as unknown as Record<string, unknown[]>).GB![11] as unknown[];
    const maxTypes = max.countries.GB![11] as unknown[];
    // fixed line, mobile, toll-free, premium-rate, personal number, voicemail, UAN, pager, VoIP (GB has no shared-cost pattern)
    expect(gb).toEqual([0, (mobile.countries.GB![11] as unknown[])[1], maxTypes[2], maxTypes[3], 0, 0, maxTypes[6], maxTypes[7], maxTypes[8]]);
  });

  it('leaves nothing out when a default route reaches every calling code', () => {
    expect(numberingPlansFor([...localRoutes, defaultRoute('everything-else', 'sim-a')])).toBeUndefined();
  });
});

describe('the api bundle of config/local.yaml', () => {
  it('carries none of the whole mobile metadata', () => {
    expect(routedOnly.inputs.filter((path) => path.includes('metadata.mobile.json'))).toEqual([]);
  });

  it.each([
    { kind: 'a mobile number', to: MOBILE.GB, answer: { e164: MOBILE.GB, country: 'GB' } },
    { kind: 'a mobile number of another country of a routed calling code', to: MOBILE.GG, answer: { e164: MOBILE.GG, country: 'GG' } },
    { kind: 'a landline', to: LANDLINE_GB, answer: { problem: 'destination is not a valid mobile number for its country' } },
    { kind: 'a mobile number of a country no route reaches', to: '+61412345678', answer: { problem: 'no route of this gateway reaches country calling code +61' } },
    { kind: 'a number of no calling code', to: '+999123456', answer: { problem: 'destination is not a phone number' } },
  ])('answers $kind ($to)', ({ to, answer }) => {
    expect(routedOnly.normaliseDestination(to)).toEqual(answer);
  });

  it('gives the verdict of the whole metadata for every number of a calling code its routes reach, but takes the fictional ones (fictionalNumbers) as mobiles', () => {
    // Act
    const disagreements = reached.filter((n) => JSON.stringify(routedOnly.normaliseDestination(n)) !== JSON.stringify(normaliseDestination(n)));
    // Assess: both verdicts are well represented (mobiles accepted; landlines and the rest refused).
    expect(reached.filter((n) => problemOf(normaliseDestination(n)) === undefined).length).toBeGreaterThan(100);
    expect(reached.filter((n) => problemOf(normaliseDestination(n)) !== undefined).length).toBeGreaterThan(100);
    expect(disagreements).toEqual(reached.filter((n) => FICTIONAL.test(n)));
    expect(routedOnly.normaliseDestination('+447700900123')).toEqual({ e164: '+447700900123', country: 'GB' });
  });

  it('refuses every number of a calling code no route reaches, naming the code', () => {
    // Act
    const wrong = unreached.filter((n) => problemOf(routedOnly.normaliseDestination(n)) !== `no route of this gateway reaches country calling code +${callingCodeOf(n)}`);
    // Assess
    expect(unreached.length).toBeGreaterThan(2000);
    expect(wrong).toEqual([]);
  });

  it('answers a number no route reaches with a problem on `to`, which the API answers with 422', () => {
    // Act
    const single = routedOnly.validateSubmission({ to: '+61412345678', text: 'hi' }, { maxSegments: 10, defaultValiditySeconds: 86_400 });
    const inBatch = routedOnly.validateSubmission({ to: '+61412345678', text: 'hi' }, { maxSegments: 10, defaultValiditySeconds: 86_400 }, 'messages[2]');
    // Assess
    expect(single).toEqual({ ok: false, problems: [{ field: 'to', problem: 'no route of this gateway reaches country calling code +61' }] });
    expect(inBatch).toEqual({ ok: false, problems: [{ field: 'messages[2].to', problem: 'no route of this gateway reaches country calling code +61' }] });
  });

  it('masks the numbers it accepts as the whole metadata does', () => {
    for (const to of [MOBILE.GB, MOBILE.GG, MOBILE.US, MOBILE.DE]) expect(routedOnly.maskNumber(to)).toBe(maskNumber(to));
  });
});

describe('the api bundle of a config with a default route', () => {
  it('carries the plans of every calling code compiled at synth, and neither metadata file', () => {
    expect(everyCountry.inputs.filter((path) => /metadata\.(mobile|max)\.json/.test(path))).toEqual([]);
    expect(everyCountry.normaliseDestination('+61412345678')).toEqual({ e164: '+61412345678', country: 'AU' });
  });

  it('gives the verdict of the whole metadata for every number, but the fictional ones (fictionalNumbers)', () => {
    const disagreements = corpus.filter((n) => JSON.stringify(everyCountry.normaliseDestination(n)) !== JSON.stringify(normaliseDestination(n)));
    expect(disagreements).toEqual(corpus.filter((n) => FICTIONAL.test(n)));
  });
});
