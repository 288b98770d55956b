/**
 * Which tenant an inbound message belongs to: the one whose `tenants[].numbers` holds its
 * destination. SMSCs write a destination in several ways — "447700900000" (international, no
 * "+"), "+447700900000" (the worker adds "+" for TON 1, deliver-classifier.ts), "00447700900000"
 * (international prefix), and a short code "60100" plain or, from some SMSCs, marked
 * international ("+60100"). The rule, in order: the destination as written; then its digits as
 * a short code; then its digits as E.164. Config validation keeps each number with one tenant
 * (compliance-check.ts), so at most one owner matches. A national form ("07700900000") is not
 * guessed at: its country is unknown, so it is unowned (README#number-ownership). Pure.
 *
 * @example
 *   const owners = new NumberOwnership(config.tenants);
 *   owners.ownerOf('447700900000'); // { tenant: acme, number: '+447700900000' }
 */
import type { TenantConfig } from '../config/schema';

/** What of a tenant the inbound path needs: its numbers and opt-out settings. */
export type InboundTenant = Pick<TenantConfig, 'id' | 'numbers' | 'optOut'>;

export interface Owner<T extends Pick<InboundTenant, 'id' | 'numbers'>> {
  tenant: T;
  /** The owned number as the config writes it: the sender of a reply, the sender of a scope-sender opt-out. */
  number: string;
}

/** The forms of a destination to look up, most literal first. */
export function destinationForms(to: string): string[] {
  const written = to.trim().replace(/[\s().-]/g, '');
  const digits = written.replace(/^\+/, '').replace(/^00/, '');
  if (!/^[0-9]+$/.test(digits)) return written === '' ? [] : [written];
  return [...new Set([written, digits, `+${digits}`])];
}

export class NumberOwnership<T extends Pick<InboundTenant, 'id' | 'numbers'>> {
  private readonly owners = new Map<string, Owner<T>>();

  constructor(tenants: readonly T[]) {
    for (const tenant of tenants) for (const number of tenant.numbers) if (!this.owners.has(number)) this.owners.set(number, { tenant, number });
  }

  /** The tenant that owns this destination, and the number as configured; undefined when no tenant does. */
  ownerOf(to: string): Owner<T> | undefined {
    for (const form of destinationForms(to)) {
      const owner = this.owners.get(form);
      if (owner) return owner;
    }
    return undefined;
  }
}
