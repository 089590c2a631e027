import createClient, { type Client } from 'openapi-fetch';
import type { components, paths } from './generated/schema';

export type { components, paths };
export type ApiSchemas = components['schemas'];

/**
 * A typed client of the engine's API: every path, parameter, body and answer typed from
 * docs/openapi.json (openapi-typescript), the calls made by openapi-fetch (a thin `fetch`).
 *
 *   const api = createEngineClient({ baseUrl: 'https://…/dev', apiKey: process.env.ENGINE_API_KEY! });
 *   const { data, error } = await api.POST('/initiate-conversation', { body: request });
 */
export const createEngineClient = (options: { baseUrl: string; apiKey: string; fetch?: typeof fetch }): Client<paths> =>
  createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    headers: { 'x-api-key': options.apiKey },
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });

/** A conversation id as a path parameter: openapi-fetch encodes path parameters itself. */
export type ConversationId = string;
