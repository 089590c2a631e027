import { freePort } from '../../../packages/local-stack/src/processes/free-port';
import { ProviderCredentials, ProviderServers, startProviderServers } from '../../../packages/local-stack/src/provider-servers/provider-server';

/** The local OpenAI + Twilio + SendGrid on a free port of this test file's own (never the global stack's). */
export const startTwin = async (credentials: ProviderCredentials): Promise<ProviderServers> => {
  const twin = await startProviderServers(await freePort());
  // Credentials as a test peer registers them: through the control route.
  const answer = await fetch(`${twin.url}/__credentials`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(credentials) });
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
