/**
 * The simulator's control port: an HTTP server on 127.0.0.1 that makes the SMSC send an inbound
 * (MO) message on demand, as a handset would — a STOP, a HELP, a reply — to whichever ESME is
 * bound to receive. `npm run local` starts one per simulated carrier and prints a curl for it;
 * `simulator/cli.ts --control-port N` starts one beside a simulator of its own.
 *
 *   curl -s -X POST http://127.0.0.1:3775/mo -H 'content-type: application/json' \
 *     -d '{"from":"+447700900123","to":"+447700900000","text":"STOP"}'
 *
 * `"resend": true` sends each deliver_sm a second time after its answer, as an SMSC does that
 * timed out waiting for the deliver_sm_resp. Answers 200 {"parts":1,"commandStatuses":[0]} with
 * each deliver_sm's deliver_sm_resp status, 400 for
 * a body it cannot read (naming the field), 409 when no receiver or transceiver is bound. A
 * leading "+" is dropped from the addresses: on the wire an international number is its digits
 * with TON 1, as the simulator sends it. Loopback only: it has no authentication.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import type { SmscSimulator } from './smsc-simulator';

const MAX_BODY_BYTES = 64 * 1024;

const Address = z.string().trim().min(1, 'must not be empty').max(20, 'is at most 20 characters').transform((a) => a.replace(/^\+/, ''));

export const MoRequest = z.strictObject({
  from: Address,
  to: Address,
  text: z.string().min(1, 'must not be empty'),
  encoding: z.enum(['GSM7', 'UCS2']).optional(),
  parts: z.number().int().min(1).max(255).optional(),
  useSar: z.boolean().optional(),
  /** Send each deliver_sm twice, as an SMSC whose response timer expired does. */
  resend: z.boolean().optional(),
});
export type MoRequest = z.infer<typeof MoRequest>;

export interface ControlServer {
  /** The port it listens on (127.0.0.1). */
  port: number;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY_BYTES) chunks.push(c);
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** What a request asks the simulator to send, or the problem with it. */
export function parseMoRequest(body: string): { ok: true; mo: MoRequest } | { ok: false; error: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    return { ok: false, error: 'the body is not JSON: send {"from": "+447700900123", "to": "+447700900000", "text": "STOP"}' };
  }
  const parsed = MoRequest.safeParse(raw);
  if (!parsed.success) return { ok: false, error: parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ') };
  return { ok: true, mo: parsed.data };
}

/** The curl that sends an MO through a control port (what `npm run local` and the CLI print). */
export function moCurl(port: number, mo: { from: string; to: string; text: string } = { from: '+447700900123', to: '+447700900000', text: 'STOP' }): string {
  return `curl -s -X POST http://127.0.0.1:${port}/mo -H 'content-type: application/json' -d '${JSON.stringify(mo)}'`;
}

/** Starts the control port of a simulator; port 0 picks a free one. */
export async function startControlServer(simulator: Pick<SmscSimulator, 'sendInbound'>, port = 0): Promise<ControlServer> {
  const server: Server = createServer((req, res) => {
    const answer = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(`${JSON.stringify(body)}\n`);
    if (req.url !== '/mo') return void answer(404, { error: 'the only resource is POST /mo' });
    if (req.method !== 'POST') return void answer(405, { error: 'use POST /mo' });
    void readBody(req).then(
      async (body) => {
        if (body === undefined) return answer(413, { error: `the body is over ${MAX_BODY_BYTES} bytes` });
        const request = parseMoRequest(body);
        if (!request.ok) return answer(400, { error: request.error });
        try {
          const commandStatuses = await simulator.sendInbound(request.mo);
          answer(200, { parts: request.mo.resend ? commandStatuses.length / 2 : commandStatuses.length, commandStatuses });
        } catch (err) {
          answer(409, { error: (err as Error).message });
        }
      },
      () => answer(400, { error: 'the body could not be read' }),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
