/**
 * HTTP Basic credentials (RFC 7617) of the Twilio-compatible API: `AccountSid:AuthToken`. The
 * token is compared as its SHA-256 digest, in constant time, against the digests of the config:
 * no token is ever held by the API function.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RuntimeTenant } from '../config/runtime';

/** The user and password of an Authorization header, or undefined when it is not well-formed Basic credentials. */
export function parseBasicAuth(header: string | undefined): { user: string; password: string } | undefined {
  const m = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header ?? '');
  if (!m || m[1]!.length % 4 !== 0) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** The tenants' Twilio accounts by account SID. */
export class TwilioAccounts {
  private readonly bySid = new Map<string, { tenantId: string; digests: Buffer[] }>();

  constructor(tenants: readonly Pick<RuntimeTenant, 'id' | 'twilio'>[]) {
    for (const t of tenants) {
      if (t.twilio) this.bySid.set(t.twilio.accountSid, { tenantId: t.id, digests: t.twilio.authTokenSha256.map((d) => Buffer.from(d, 'hex')) });
    }
  }

  /** The tenant whose account these credentials are, or undefined (unknown account, wrong token, malformed header). */
  authenticate(authorization: string | undefined): { tenantId: string; accountSid: string } | undefined {
    const credentials = parseBasicAuth(authorization);
    if (!credentials) return undefined;
    const account = this.bySid.get(credentials.user);
    if (!account) return undefined;
    const digest = createHash('sha256').update(credentials.password, 'utf8').digest();
    // Every digest is compared (no early exit), each in constant time: equal lengths, 32 bytes.
    let match = false;
    for (const d of account.digests) match = timingSafeEqual(d, digest) || match;
    return match ? { tenantId: account.tenantId, accountSid: credentials.user } : undefined;
  }

  accountOf(tenantId: string): string | undefined {
    for (const [sid, a] of this.bySid) if (a.tenantId === tenantId) return sid;
    return undefined;
  }
}
