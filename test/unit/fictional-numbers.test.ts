/**
 * Fictional numbers: the ranges reserved for drama and testing are mobile numbers only in the
 * numbering plans of a config that turns them on (config/local.yaml), never by default.
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js/core';
import { describe, expect, it } from 'vitest';
import { withFictionalNumbers } from '../../core/config/fictional-numbers';
import { parseGatewayConfig } from '../../core/config/load';
import { configWarnings } from '../../core/config/cross-check';
import { numberingPlansFor } from '../../core/config/numbering-plans';
import { gatewayConfigInput } from '../support/factories';

const routes = parseGatewayConfig(gatewayConfigInput({ routes: [{ id: 'uk', kind: 'static', match: { prefix: ['+44'] }, carrier: 'c-a' }] })).routes;
const plans = numberingPlansFor(routes)!;

describe('fictional numbers', () => {
  it('are not valid mobile numbers in the plans synth compiles by default', () => {
    expect(parsePhoneNumberFromString('+447700900123', plans.metadata)?.isValid()).toBe(false);
  });

  it('are mobile numbers of their country once turned on, from the first of the range to the last', () => {
    const fictional = withFictionalNumbers(plans).metadata;
    for (const n of ['+447700900000', '+447700900123', '+447700900999']) {
      const parsed = parsePhoneNumberFromString(n, fictional);
      expect([n, parsed?.isValid(), parsed?.country, parsed?.getType()]).toEqual([n, true, 'GB', 'MOBILE']);
    }
  });

  it('leave every other number as it was: real mobiles valid, the numbers beside the range and landlines not', () => {
    const fictional = withFictionalNumbers(plans).metadata;
    const verdicts = (metadata: typeof fictional) => ['+447400123456', '+447911123456', '+447700901000', '+44770090012', '+442071234567'].map((n) => parsePhoneNumberFromString(n, metadata)?.isValid());
    expect(verdicts(fictional)).toEqual(verdicts(plans.metadata));
    expect(verdicts(fictional)).toEqual([true, true, false, false, false]);
  });

  it('are a synth warning in a config for AWS, and none in a local one', () => {
    const config = parseGatewayConfig(gatewayConfigInput({ fictionalNumbers: true, tenants: [{ id: 'acme', apiKeys: ['dev-acme-key-0123456789'], senders: ['ACME'] }] }));
    expect(configWarnings(config).filter((w) => w.startsWith('fictionalNumbers'))).toHaveLength(1);
    expect(configWarnings(config, { local: true }).filter((w) => w.startsWith('fictionalNumbers'))).toEqual([]);
  });
});
