import { Client } from '@sendgrid/client';
import { MailService } from '@sendgrid/mail';
import { providerTimeoutMs } from '../provider-timeout';

/**
 * SendGrid v3 through @sendgrid/mail, one client per API key for the container's life.
 * SENDGRID_API_BASE_URL (local stack only) points it at the local server; it must be set after
 * the API key, which resets the base URL to the key's region host. `timeout` goes to axios, which
 * @sendgrid/client calls without one.
 */
const services = new Map<string, { mail: MailService; client: Client }>();

export const sendGridFor = (
  apiKey: string,
  baseUrl = process.env.SENDGRID_API_BASE_URL,
  timeoutMs = providerTimeoutMs(),
): { mail: MailService; client: Client } => {
  const cacheKey = `${apiKey}:${baseUrl ?? ''}:${timeoutMs}`;
  let service = services.get(cacheKey);
  if (!service) {
    const client = new Client();
    client.setApiKey(apiKey);
    if (baseUrl) client.setDefaultRequest('baseUrl', baseUrl);
    // Passed through to axios as is; the client's type declares only the request's own fields.
    (client.setDefaultRequest as (key: string, value: unknown) => Client).call(client, 'timeout', timeoutMs);
    const mail = new MailService();
    mail.setClient(client);
    service = { mail, client };
    services.set(cacheKey, service);
  }
  return service;
};
