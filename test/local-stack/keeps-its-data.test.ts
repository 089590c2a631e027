import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { CreateSecretCommand, GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { startProviderServers } from '@ai-multi-comms/local-stack';
import { freePort } from '../../packages/local-stack/src/processes/free-port';
import { startSecretsManagerServer } from '../../packages/local-stack/src/secrets-manager-server';
import { startDynamoDbLocal } from '../../packages/local-stack/src/processes/dynamodb-local';
import { dataFolders, keepProviderState } from '../../packages/local-stack/src/processes/kept-data';

/**
 * `pnpm start` keeps its data in one folder: each part, stopped and started again on it, still
 * holds what it held: a DynamoDB item, a secret, and the provider twins' state (an OpenAI
 * conversation and its items). Part by part, not a whole second stack: on two cores a stack
 * starting beside the shared one starves its tests. fauxqs's own SQLite persistence (`dataDir`)
 * is an ES module jest cannot load in process; the whole restart, queues included, was checked by
 * hand (README "The local stack").
 */
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const dir = mkdtempSync(join(tmpdir(), 'ai-comms-kept-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const OPENAI_KEY = 'sk-kept-data-test';

const startAll = async () => {
  const folders = dataFolders(dir);
  const [dynamo, secrets, providers] = await Promise.all([
    startDynamoDbLocal(await freePort(), folders.dynamodb),
    startSecretsManagerServer(await freePort(), 'us-east-1', folders.secrets),
    startProviderServers(await freePort(), { openai_keys: [OPENAI_KEY] }),
  ]);
  const saveProviders = keepProviderState(providers, folders.providers);
  const dynamodb = new DynamoDBClient({ region: 'us-east-1', endpoint: dynamo.endpoint, credentials });
  const sm = new SecretsManagerClient({ region: 'us-east-1', endpoint: secrets.endpoint, credentials });
  const stop = async () => {
    await saveProviders();
    dynamodb.destroy();
    sm.destroy();
    await Promise.all([dynamo.process.stop(), secrets.stop(), providers.stop()]);
  };
  return { documents: DynamoDBDocumentClient.from(dynamodb), dynamodb, sm, providers, stop };
};

const openai = (url: string, path: string, body?: unknown) =>
  fetch(`${url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { Authorization: `Bearer ${OPENAI_KEY}`, 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  }).then((response) => response.json() as Promise<any>);

it('DynamoDB, the secrets and the provider twins keep what they held across a restart', async () => {
  const first = await startAll();
  await first.dynamodb.send(
    new CreateTableCommand({
      TableName: 'kept',
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await first.documents.send(new PutCommand({ TableName: 'kept', Item: { id: 'conversation-1', status: 'reply_sent' } }));
  await first.sm.send(new CreateSecretCommand({ Name: 'kept/secret', SecretString: '{"k":"v"}' }));
  const thread = await openai(first.providers.url, '/v1/conversations', { items: [{ role: 'user', content: 'hello' }] });
  await openai(first.providers.url, `/v1/conversations/${thread.id}/items`, {
    items: [{ role: 'assistant', content: '[Written by Sam]' }],
  });
  await first.stop();

  const second = await startAll();
  try {
    expect((await second.documents.send(new GetCommand({ TableName: 'kept', Key: { id: 'conversation-1' } }))).Item).toEqual({
      id: 'conversation-1',
      status: 'reply_sent',
    });
    expect((await second.sm.send(new GetSecretValueCommand({ SecretId: 'kept/secret' }))).SecretString).toBe('{"k":"v"}');
    const items = await openai(second.providers.url, `/v1/conversations/${thread.id}/items?order=asc`);
    expect(items.data.map((item: any) => item.role)).toEqual(['user', 'assistant']);
  } finally {
    await second.stop();
  }
}, 120_000);
