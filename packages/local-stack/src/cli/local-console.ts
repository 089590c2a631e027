import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { ConsoleServer, startConsoleServer } from '@ai-multi-comms/console';
import { CompanyProject } from '@ai-multi-comms/core';
import { DEMO_API_KEYS } from '../demo/demo-data';
import type { LocalStack } from '../stack';

/** The queue names the console shows, from the services' names (ai-multi-comms-compose, ai-multi-comms-whatsapp-processor, …). */
const queueName = (service: string) => service.replace('ai-multi-comms-', '').replace('-processor', '');

/** The console over the local stack: its tables and queues, the demo keys, the person's side and playground on. */
export const startLocalConsole = async (stack: LocalStack, port: number): Promise<ConsoleServer> => {
  const config = {
    region: stack.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  };
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ ...config, endpoint: stack.env.AWS_ENDPOINT_URL_DYNAMODB }), {
    marshallOptions: { removeUndefinedValues: true },
  });
  const sqs = new SQSClient({ ...config, endpoint: stack.env.AWS_ENDPOINT_URL_SQS, useQueueUrlAsEndpoint: false });
  const r = stack.resources;
  const table = r.companyDataTable!;
  const server = await startConsoleServer({
    port,
    documents,
    sqs,
    projects: async () => ((await documents.send(new ScanCommand({ TableName: table }))).Items ?? []) as CompanyProject[],
    target: {
      stage: stack.stage,
      local: true,
      actions: true,
      tables: {
        companyData: table,
        conversations: r.conversationsTable!,
        messages: r.messagesTable!,
        threads: r.threadsTable!,
        deliveryEvents: r.deliveryEventsTable,
      },
      queues: Object.entries(stack.deployment.outputs)
        .filter(([, outputs]) => outputs.QueueUrl && outputs.DeadLetterQueueUrl)
        .map(([service, outputs]) => ({
          name: queueName(service),
          queueUrl: outputs.QueueUrl!,
          deadLetterQueueUrl: outputs.DeadLetterQueueUrl!,
        })),
      apiBaseUrl: stack.apiBaseUrl,
      apiKeys: { 'ci-aaa-001#pi-aaa-001': DEMO_API_KEYS.companyA, 'ci-bbb-001#pi-bbb-001': DEMO_API_KEYS.companyB },
      providersUrl: stack.providerServers.url,
    },
  });
  return {
    url: server.url,
    stop: async () => {
      await server.stop();
      documents.destroy();
      sqs.destroy();
    },
  };
};
