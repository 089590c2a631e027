import { Webhook } from 'standardwebhooks';
import type { CompanyRepository } from '../companies/company-repository';
import type { OutcomeConfig, RecordOutcome } from '../queue-work/queue-outcomes';
import type { ProcessingMetrics, QueueRecord } from '../queue-work/queue-record';
import { beginRecordRun } from '../queue-work/record-run';
import { readRotatingSecret } from '../queue-work/rotating-secret';
import type { SecretReader } from '../secrets/secret-reader';
import type { Clock } from '../util/clock';
import type { Logger } from '@aws-lambda-powertools/logger';
import { CLIENT_EVENT_TYPES, ClientEvent, clientWebhookSecretName } from './client-event';

/** What delivering an event needs: each a plain client, so tests build it with emulator clients or fakes. */
export interface DeliverClientEventDeps {
  companies: Pick<CompanyRepository, 'get'>;
  secrets: SecretReader;
  /** The HTTP call (fetch in production). */
  post(url: string, init: { headers: Record<string, string>; body: string; timeoutMs: number }): Promise<{ status: number }>;
  stage: string;
  clock: Clock;
  logger: Pick<Logger, 'createChild'>;
  metrics: ProcessingMetrics;
  config: OutcomeConfig & { timeoutSeconds: number };
}

const isEvent = (value: unknown): value is ClientEvent => {
  const event = value as Partial<ClientEvent> | null;
  return (
    typeof event?.id === 'string' &&
    (CLIENT_EVENT_TYPES as readonly string[]).includes(String(event.type)) &&
    typeof event.timestamp === 'string' &&
    typeof event.data?.company_id === 'string' &&
    typeof event.data.project_id === 'string'
  );
};

/**
 * One event to its project's endpoint, signed by the Standard Webhooks specification
 * (`webhook-id` = the event's id, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256
 * of id.timestamp.body>` with the project's `whsec_` secret, by the `standardwebhooks` package, the
 * specification's reference library). A 2xx is delivered; anything else, or no answer in time,
 * goes again with backoff (the queue is FIFO by conversation: its later events wait behind it, so
 * they arrive in order), then to the DLQ. The body is the payload `{type, timestamp, data}`.
 */
export const deliverClientEvent = async (record: QueueRecord, deps: DeliverClientEventDeps): Promise<RecordOutcome> => {
  const run = beginRecordRun(record, deps);
  let event: unknown;
  try {
    event = JSON.parse(record.body);
  } catch {
    // below
  }
  if (!isEvent(event)) {
    run.logger.error('Malformed client event', { message_id: record.messageId });
    return run.conclude('malformed', 'not a client event');
  }
  run.logger.appendKeys({ event_id: event.id, event_type: event.type, conversation_id: event.data.conversation_id });
  const project = await deps.companies.get(event.data.company_id, event.data.project_id);
  const url = project?.client_events?.url;
  if (!url) return run.conclude('event-without-endpoint', 'the project has no events endpoint');
  const body = JSON.stringify({ type: event.type, timestamp: event.timestamp, data: event.data });
  try {
    const withSecret = await readRotatingSecret<{ signing_secret: string }>(
      deps.secrets,
      { name: clientWebhookSecretName(event.data.company_id, event.data.project_id, deps.stage), requiredKeys: ['signing_secret'] },
      run.logger,
    );
    const status = await withSecret(async ({ signing_secret }) => {
      const sentAt = deps.clock.now();
      const signature = new Webhook(signing_secret).sign(event.id, sentAt, body);
      const headers = {
        'Content-Type': 'application/json',
        'webhook-id': event.id,
        'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
        'webhook-signature': signature,
        'User-Agent': 'ai-multi-comms-events/1',
      };
      return (await deps.post(url, { headers, body, timeoutMs: deps.config.timeoutSeconds * 1000 })).status;
    });
    if (status >= 200 && status < 300) {
      run.logger.info('Client event delivered', { status });
      return run.conclude('event-delivered', `delivered (${status})`);
    }
    run.logger.warn('The client endpoint refused the event; it goes again later', { status });
    return run.conclude('endpoint-refused', `the endpoint answered ${status}`);
  } catch (error) {
    run.logger.warn('The client event could not be delivered; it goes again later', { error: (error as Error).message });
    return run.conclude('endpoint-refused', `no answer: ${(error as Error).message}`.slice(0, 300));
  }
};
