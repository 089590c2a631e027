import { createDynamoDocumentClient, createSecretsManagerClient } from '../aws/clients';
import { dynamoCompanyRepository } from '../companies/company-repository';
import { integer, readConfig, requiredString } from '../config/env';
import { createSqsWorker } from '../queue-work/sqs-worker';
import { cachedSecretReader } from '../secrets/secret-reader';
import { systemClock } from '../util/clock';
import { deliverClientEvent } from './deliver-client-event';

/** The client-events function's configuration (services/client-events/serverless.yml). */
interface ClientEventsConfig {
  queueUrl: string;
  companyDataTable: string;
  stage: string;
  retryBackoffBaseSeconds: number;
  retryBackoffMaxSeconds: number;
  timeoutSeconds: number;
}

const readClientEventsConfig = (env: NodeJS.ProcessEnv = process.env): ClientEventsConfig =>
  readConfig<ClientEventsConfig>(
    {
      queueUrl: ['QUEUE_URL', requiredString],
      companyDataTable: ['COMPANY_DATA_TABLE', requiredString],
      stage: ['STAGE', requiredString],
      // 30 s × 2^(n−1), at most 15 minutes: an endpoint down for an hour is tried about ten times
      // in that hour, and the queue's maxReceiveCount (12) keeps trying past it before the DLQ.
      retryBackoffBaseSeconds: ['RETRY_BACKOFF_BASE_SECONDS', integer(30, { min: 0, max: 900 })],
      retryBackoffMaxSeconds: ['RETRY_BACKOFF_MAX_SECONDS', integer(900, { min: 0, max: 43200 })],
      timeoutSeconds: ['CLIENT_EVENT_TIMEOUT_SECONDS', integer(10, { min: 1, max: 25 })],
    },
    env,
  );

/** The Lambda handler: the events FIFO queue (a group per conversation) → the project's endpoint. */
export const createClientEventsHandler = () =>
  createSqsWorker({
    serviceName: 'client-events',
    fifo: true,
    readConfig: readClientEventsConfig,
    createWork: (config, context) => {
      const documents = createDynamoDocumentClient({ instrument: context.instrument });
      const deps = {
        companies: dynamoCompanyRepository(documents, config.companyDataTable),
        secrets: cachedSecretReader(createSecretsManagerClient({ instrument: context.instrument }), 300_000),
        post: async (url: string, init: { headers: Record<string, string>; body: string; timeoutMs: number }) => {
          const response = await fetch(url, {
            method: 'POST',
            headers: init.headers,
            body: init.body,
            signal: AbortSignal.timeout(init.timeoutMs),
          });
          await response.body?.cancel();
          return { status: response.status };
        },
        stage: config.stage,
        clock: systemClock,
        logger: context.logger,
        metrics: context.metrics,
        config: {
          retryBackoffBaseSeconds: config.retryBackoffBaseSeconds,
          retryBackoffMaxSeconds: config.retryBackoffMaxSeconds,
          maxReceiveCount: context.settings.maxReceiveCount,
          timeoutSeconds: config.timeoutSeconds,
        },
      };
      return (record) => deliverClientEvent(record, deps);
    },
  });
