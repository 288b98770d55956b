/**
 * An HTTP proxy in front of the emulator's DynamoDB endpoint, for a worker
 * process pointed at it with AWS_ENDPOINT_URL_DYNAMODB: it forwards every
 * request, and lets a test hold one (never answered, as when the process dies
 * with the write on the wire) or learn that one was answered. That puts a crash
 * exactly between two steps of the worker without any hook in its code.
 */
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A DynamoDB request as the proxy sees it: the operation (X-Amz-Target without its prefix) and the JSON body. */
export interface ProxiedRequest {
  operation: string;
  body: string;
}

type Match = (r: ProxiedRequest) => boolean;

export class DynamoProxy {
  private server: Server | undefined;
  private holds: { match: Match; seen: (r: ProxiedRequest) => void }[] = [];
  private answers: { match: Match; seen: (r: ProxiedRequest) => void }[] = [];

  constructor(private readonly target: string) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const seen: ProxiedRequest = { operation: String(req.headers['x-amz-target'] ?? '').split('.').pop()!, body: body.toString('utf8') };
        const hold = this.take(this.holds, seen);
        if (hold) return hold(seen); // never forwarded, never answered
        const answered = this.take(this.answers, seen);
        this.forward(req, body, (status, headers, out) => {
          res.writeHead(status, headers);
          res.end(out, () => answered?.(seen));
        });
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The next request that matches is held; resolves when it arrives. */
  hold(match: Match): Promise<ProxiedRequest> {
    return new Promise((seen) => this.holds.push({ match, seen }));
  }

  /** Resolves when the next request that matches has been answered. */
  answered(match: Match): Promise<ProxiedRequest> {
    return new Promise((seen) => this.answers.push({ match, seen }));
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private take(list: { match: Match; seen: (r: ProxiedRequest) => void }[], r: ProxiedRequest) {
    const i = list.findIndex((w) => w.match(r));
    return i === -1 ? undefined : list.splice(i, 1)[0]!.seen;
  }

  private forward(req: IncomingMessage, body: Buffer, reply: (status: number, headers: Record<string, string | string[]>, body: Buffer) => void): void {
    const url = new URL(req.url ?? '/', this.target);
    // Headers as signed (the emulator checks no signature, but a changed host would break it anyway).
    const out = request(url, { method: req.method, headers: req.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => reply(res.statusCode ?? 502, res.headers as Record<string, string | string[]>, Buffer.concat(chunks)));
    });
    out.on('error', () => reply(502, {}, Buffer.from('proxy: the emulator did not answer')));
    out.end(body);
  }
}
