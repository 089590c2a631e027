import { IncomingMessage, ServerResponse } from 'node:http';

/** The parts of an HTTP exchange the provider routes need, parsed once. */
export interface ProviderRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  rawBody: string;
  /** JSON or form body, parsed by content type; undefined when empty or unparsable. */
  body: unknown;
}

export interface ProviderResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export const readBody = (request: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });

export const parseBody = (contentType: string | undefined, raw: string): unknown => {
  if (raw === '') return undefined;
  if (contentType?.includes('application/x-www-form-urlencoded')) {
    const form: Record<string, string | string[]> = {};
    for (const [key, value] of new URLSearchParams(raw)) {
      const existing = form[key];
      form[key] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
    }
    return form;
  }
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
};

export const send = (response: ServerResponse, result: ProviderResponse): void => {
  const hasBody = result.body !== undefined;
  response.writeHead(result.status, {
    ...(hasBody ? { 'Content-Type': 'application/json' } : {}),
    ...result.headers,
  });
  response.end(hasBody ? JSON.stringify(result.body) : undefined);
};

/** `Authorization: Basic …` → [user, password]. */
export const basicAuth = (headers: IncomingMessage['headers']): [string, string] | undefined => {
  const match = /^Basic\s+(.+)$/i.exec(headers.authorization ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : [decoded.slice(0, colon), decoded.slice(colon + 1)];
};

export const bearerToken = (headers: IncomingMessage['headers']): string | undefined =>
  /^Bearer\s+(.+)$/i.exec(headers.authorization ?? '')?.[1];

export const randomHex = (length: number): string => {
  let out = '';
  while (out.length < length)
    out += Math.floor(Math.random() * 0xffffffff)
      .toString(16)
      .padStart(8, '0');
  return out.slice(0, length);
};
