/** The id of a single-part inbound message: the same for a resend within the window, another for another message. */
import { describe, expect, it } from 'vitest';
import { DEDUP_WINDOW_MS, singlePartIds } from '../../core/domain/inbound-dedup';

const MO = { carrierId: 'sim-a', from: '+447700900123', to: '+447700900100', text: 'Yes' };
const AT = new Date('2026-12-01T12:03:00.000Z');

describe('singlePartIds', () => {
  it('gives a resend later in the same window the id of the first', () => {
    expect(singlePartIds(MO, new Date(AT.getTime() + 60_000)).id).toBe(singlePartIds(MO, AT).id);
  });

  it('names, as previousId, the id the same message had in the window before, so a resend across the boundary is found', () => {
    const later = new Date(AT.getTime() + DEDUP_WINDOW_MS);
    expect(singlePartIds(MO, later).previousId).toBe(singlePartIds(MO, AT).id);
    expect(singlePartIds(MO, later).id).not.toBe(singlePartIds(MO, AT).id);
    expect(singlePartIds(MO, later).windowStart).toBe(AT.getTime());
  });

  it.each([
    ['carrier', { carrierId: 'sim-b' }],
    ['sender', { from: '+447700900124' }],
    ['destination', { to: '+447700900000' }],
    ['text', { text: 'yes' }],
  ])('gives another %s another id', (_what, change) => {
    expect(singlePartIds({ ...MO, ...change }, AT).id).not.toBe(singlePartIds(MO, AT).id);
  });

  it('is 32 hex digits, the form GET /v1/inbound/{id} takes', () => {
    expect(singlePartIds(MO, AT).id).toMatch(/^[0-9a-f]{32}$/);
  });
});
