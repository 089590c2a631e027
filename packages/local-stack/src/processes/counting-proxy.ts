import { createServer, request as httpRequest, Server } from 'node:http';

/**
 * A pass-through in front of an emulator that counts the AWS calls it forwards, by service and
 * operation: the JSON protocols name it in `X-Amz-Target` (`DynamoDB_20120810.PutItem`,
 * `AmazonSQS.SendMessage`, `secretsmanager.GetSecretValue`), SNS's query protocol in the body's
 * `Action`. `pnpm bench` reads the counts to say what a conversation costs in AWS calls, counted
 * where they arrive rather than where the code thinks it makes them.
 */
export interface CountingProxy {
  endpoint: string;
  counts(): Record<string, number>;
  reset(): void;
  stop(): Promise<void>;
}

const operationOf = (target: string | undefined, body: Buffer): string => {
  if (target) {
    const [service, operation] = target.split('.');
    const name = service?.startsWith('DynamoDB')
      ? 'dynamodb'
      : service === 'AmazonSQS'
        ? 'sqs'
        : service === 'secretsmanager'
          ? 'secretsmanager'
          : (service ?? 'unknown').toLowerCase();
    return `${name}.${operation ?? 'unknown'}`;
  }
  const action = new URLSearchParams(body.toString('utf8')).get('Action');
  return action ? `sns.${action}` : 'unknown';
};

export const startCountingProxy = (targetEndpoint: string, port: number): Promise<CountingProxy> => {
  const target = new URL(targetEndpoint);
  let counts: Record<string, number> = {};
  const server: Server = createServer((incoming, response) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const body = Buffer.concat(chunks);
      const operation = operationOf(incoming.headers['x-amz-target'] as string | undefined, body);
      counts[operation] = (counts[operation] ?? 0) + 1;
      const forwarded = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          method: incoming.method,
          path: incoming.url,
          headers: { ...incoming.headers, host: target.host },
        },
        (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(response);
        },
      );
      forwarded.on('error', () => {
        if (!response.headersSent) response.writeHead(502);
        response.end();
      });
      forwarded.end(body);
    });
  });
  server.keepAliveTimeout = 30_000;
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(port, '127.0.0.1', () =>
      resolve({
        endpoint: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
        counts: () => ({ ...counts }),
        reset: () => void (counts = {}),
        stop: () =>
          new Promise((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      }),
    );
  });
};
