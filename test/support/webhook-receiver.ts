/** A local webhook receiver for the integration tests: records every POST (raw body, parsed body, signature, when) and answers 204. */
import { createServer, type Server } from 'node:http';

export interface ReceivedWebhook {
  raw: string;
  body: any;
  signature: string;
  at: number;
}

/** Listens on 127.0.0.1:`port` (the port a tenant's URL in config/local.yaml names); `received` fills as POSTs come. */
export async function startWebhookReceiver(port: number): Promise<{ server: Server; received: ReceivedWebhook[] }> {
  const received: ReceivedWebhook[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += String(d)));
    req.on('end', () => {
      received.push({ raw: body, body: JSON.parse(body), signature: String(req.headers['webhook-signature'] ?? ''), at: Date.now() });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return { server, received };
}
