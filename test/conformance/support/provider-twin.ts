import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { freePort } from '../../../packages/local-stack/src/processes/free-port';
import {
  ProviderCredentials,
  ProviderServers,
  startProviderServers,
} from '../../../packages/local-stack/src/provider-servers/provider-server';

/** The local OpenAI + Twilio + SendGrid on a free port of this test file's own (never the global stack's). */
export const startTwin = async (credentials: ProviderCredentials): Promise<ProviderServers> => {
  const twin = await startProviderServers(await freePort());
  // Credentials as a test peer registers them: through the control route.
  const answer = await fetch(`${twin.url}/__credentials`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(credentials),
  });
  if (answer.status !== 204) throw new Error(`POST /__credentials answered ${answer.status}`);
  return twin;
};

export interface RawAnswer {
  status: number;
  contentType: string | null;
  text: string;
  /** The body parsed as JSON (undefined when it is not JSON). */
  json: unknown;
}

export const raw = async (url: string, init: RequestInit = {}): Promise<RawAnswer> => {
  const response = await fetch(url, init);
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, contentType: response.headers.get('content-type'), text, json };
};

export const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

export interface ReceivedCallback {
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** An HTTP server standing in for the engine's webhooks: it keeps every callback the twin sends (answering `status`). */
export const startCallbackReceiver = async (
  status = 200,
): Promise<{ baseUrl: string; received: ReceivedCallback[]; stop(): Promise<void> }> => {
  const received: ReceivedCallback[] = [];
  const receiver: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ url: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      response.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  return {
    baseUrl: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/stage`,
    received,
    stop: async () => {
      receiver.closeAllConnections();
      await new Promise((resolve) => receiver.close(resolve));
    },
  };
};
