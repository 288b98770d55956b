/**
 * Number ownership (core/domain/number-ownership.ts): an inbound message's destination, in
 * whatever form the SMSC writes it, finds the tenant whose numbers hold it — or none.
 */
import { describe, expect, it } from 'vitest';
import { destinationForms, NumberOwnership } from '../../core/domain/number-ownership';

const acme = { id: 'acme', numbers: ['+447700900000', '60100'] };
const globex = { id: 'globex', numbers: ['+447700900100', '1234567'] };
const initech = { id: 'initech', numbers: ['+1234567'] };
const owners = new NumberOwnership([acme, globex, initech]);

describe('the owner of a destination', () => {
  it.each([
    ['447700900000', 'acme', '+447700900000'],
    ['+447700900000', 'acme', '+447700900000'],
    ['00447700900000', 'acme', '+447700900000'],
    [' +44 7700 900000 ', 'acme', '+447700900000'],
    ['60100', 'acme', '60100'],
    ['+60100', 'acme', '60100'],
    ['447700900100', 'globex', '+447700900100'],
  ])('of %j is %s, under its number as configured (%s)', (to, tenantId, number) => {
    expect(owners.ownerOf(to)).toEqual({ tenant: expect.objectContaining({ id: tenantId }), number });
  });

  it('is the short code’s tenant for digits written plainly, and the E.164 number’s for the same digits with "+"', () => {
    expect(owners.ownerOf('1234567')?.tenant.id).toBe('globex');
    expect(owners.ownerOf('+1234567')?.tenant.id).toBe('initech');
  });

  it.each([['447700900999'], ['07700900000'], ['60101'], ['ACME'], [''], ['+']])('of %j is nobody', (to) => {
    expect(owners.ownerOf(to)).toBeUndefined();
  });

  it('is nobody when no tenant lists a number', () => {
    expect(new NumberOwnership([{ id: 'acme', numbers: [] }]).ownerOf('447700900000')).toBeUndefined();
  });
});

describe('the forms a destination is looked up in', () => {
  it('are as written first, then its digits, then its digits as E.164', () => {
    expect(destinationForms('+60100')).toEqual(['+60100', '60100']);
    expect(destinationForms('447700900000')).toEqual(['447700900000', '+447700900000']);
    expect(destinationForms('ACME')).toEqual(['ACME']);
  });
});
