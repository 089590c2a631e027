/**
 * A Lambda-like SQS event source for one function: one "container", run as its own process (its
 * own environment, like a Lambda container, and killable like one), one invocation at a time. It
 * receives batches, invokes the real handler
 * with an SQS event, and deletes only the records the handler did not report in
 * `batchItemFailures`; if the handler throws or times out, it deletes nothing. Visibility
 * timeouts and the redrive to the DLQ are left to the queue, as with Lambda.
 * (serverless-offline-sqs deletes every record of a successful invocation, ignoring
 * batchItemFailures, so it cannot stand in for Lambda here.)
 */
import { randomUUID } from 'node:crypto';
import { DeleteMessageBatchCommand, Message, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

interface PollerConfig {
  name: string;
  functionName: string;
  queueUrl: string;
  queueArn: string;
  handlerFile: string;
  handlerExport: string;
  batchSize: number;
  timeoutSeconds: number;
}

const config = JSON.parse(process.env.POLLER_CONFIG ?? '{}') as PollerConfig;
const sqs = new SQSClient({ useQueueUrlAsEndpoint: false });
let stopping = false;

const toRecord = (message: Message): SQSRecord => ({
  messageId: message.MessageId!,
  receiptHandle: message.ReceiptHandle!,
  body: message.Body ?? '',
  attributes: {
    ApproximateReceiveCount: message.Attributes?.ApproximateReceiveCount ?? '1',
    SentTimestamp: message.Attributes?.SentTimestamp ?? String(Date.now()),
    SenderId: message.Attributes?.SenderId ?? 'local',
    ApproximateFirstReceiveTimestamp: message.Attributes?.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
  },
  messageAttributes: Object.fromEntries(
    Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
      name,
      {
        stringValue: value.StringValue,
        binaryValue: value.BinaryValue ? Buffer.from(value.BinaryValue).toString('base64') : undefined,
        dataType: value.DataType ?? 'String',
        stringListValues: [],
        binaryListValues: [],
      },
    ]),
  ),
  md5OfBody: message.MD5OfBody ?? '',
  eventSource: 'aws:sqs',
  eventSourceARN: config.queueArn,
  awsRegion: process.env.AWS_REGION ?? 'us-east-1',
});

const contextFor = (deadline: number): Context =>
  ({
    callbackWaitsForEmptyEventLoop: false,
    functionName: config.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${process.env.AWS_REGION ?? 'us-east-1'}:000000000000:function:${config.functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${config.functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  }) as Context;

const main = async () => {
  const module = (await import(config.handlerFile)) as Record<string, unknown>;
  const handler = (module[config.handlerExport] ?? (module.default as Record<string, unknown> | undefined)?.[config.handlerExport]) as (
    event: SQSEvent,
    context: Context,
  ) => Promise<SQSBatchResponse | void>;
  if (typeof handler !== 'function') throw new Error(`${config.handlerFile} exports no ${config.handlerExport}`);

  const loop = async () => {
    while (!stopping) {
      let messages: Message[] = [];
      try {
        ({ Messages: messages = [] } = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: config.queueUrl,
            MaxNumberOfMessages: config.batchSize,
            WaitTimeSeconds: 1,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
        ));
      } catch (error) {
        console.error(JSON.stringify({ level: 'ERROR', poller: config.name, message: 'ReceiveMessage failed', error: String(error) }));
        await new Promise((resolve) => setTimeout(resolve, 500));
        continue;
      }
      if (messages.length === 0) continue;
      const deadline = Date.now() + config.timeoutSeconds * 1000;
      let failed: Set<string>;
      try {
        const invocation = handler({ Records: messages.map(toRecord) }, contextFor(deadline));
        const timeout = new Promise<never>((_resolve, reject) =>
          setTimeout(() => reject(new Error('Task timed out')), config.timeoutSeconds * 1000).unref(),
        );
        const response = (await Promise.race([invocation, timeout])) as SQSBatchResponse | undefined;
        failed = new Set((response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
      } catch (error) {
        // An invocation error: Lambda deletes nothing; every record becomes visible again later.
        console.error(JSON.stringify({ level: 'ERROR', poller: config.name, message: 'Invocation failed', error: String(error) }));
        continue;
      }
      const done = messages.filter((message) => !failed.has(message.MessageId!));
      if (done.length > 0) {
        await sqs
          .send(
            new DeleteMessageBatchCommand({
              QueueUrl: config.queueUrl,
              Entries: done.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle! })),
            }),
          )
          .catch((error: unknown) =>
            console.error(
              JSON.stringify({ level: 'ERROR', poller: config.name, message: 'DeleteMessageBatch failed', error: String(error) }),
            ),
          );
      }
    }
  };
  // One invocation at a time, as a Lambda container: concurrency comes from more containers.
  await loop();
};

process.on('SIGTERM', () => {
  stopping = true;
  setTimeout(() => process.exit(0), 3000).unref();
});
process.on('SIGINT', () => {
  stopping = true;
});

main()
  .then(() => process.exit(0))
  .catch((error: unknown) => {
    console.error(`poller ${config.name} failed: ${error instanceof Error ? error.stack : String(error)}`);
    process.exit(1);
  });
