import { textOf } from '@ai-multi-comms/core';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';

/**
 * A Secrets Manager that speaks the service's JSON 1.1 protocol (X-Amz-Target: secretsmanager.<Op>)
 * for the calls this project makes: CreateSecret, PutSecretValue, GetSecretValue, DescribeSecret.
 * No emulator exists on npm or Debian; this is deliberately small: in memory, or (a stack that
 * keeps its data) written to one JSON file after every change and read back at start.
 */
interface StoredSecret {
  arn: string;
  name: string;
  description?: string;
  versionId: string;
  secretString: string;
  createdAt: number;
  changedAt: number;
}

const ACCOUNT = '000000000000';

class ServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export interface SecretsManagerServer {
  endpoint: string;
  server: Server;
  stop(): Promise<void>;
}

export const createSecretsManagerHandler = (region = 'us-east-1', stateFile?: string) => {
  const secrets = new Map<string, StoredSecret>();
  if (stateFile && existsSync(stateFile))
    for (const secret of JSON.parse(readFileSync(stateFile, 'utf8')) as StoredSecret[]) secrets.set(secret.name, secret);
  const save = () => {
    if (!stateFile) return;
    // Written whole and renamed: a stop mid-write leaves the previous file, never half of one.
    writeFileSync(`${stateFile}.tmp`, JSON.stringify([...secrets.values()]));
    renameSync(`${stateFile}.tmp`, stateFile);
  };
  const find = (secretId: unknown): StoredSecret => {
    const id = textOf(secretId);
    const secret = secrets.get(id) ?? [...secrets.values()].find((candidate) => candidate.arn === id);
    if (!secret) throw new ServiceError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    return secret;
  };
  const toEpoch = (ms: number) => ms / 1000;

  const operations: Record<string, (input: Record<string, unknown>) => unknown> = {
    CreateSecret(input) {
      const name = textOf(input.Name);
      if (!name) throw new ServiceError('InvalidParameterException', 'You must provide a value for the Name parameter.');
      if (secrets.has(name))
        throw new ServiceError('ResourceExistsException', `The operation failed because the secret ${name} already exists.`);
      if (typeof input.SecretString !== 'string')
        throw new ServiceError('InvalidRequestException', 'You must provide either SecretString or SecretBinary.');
      const now = Date.now();
      const secret: StoredSecret = {
        arn: `arn:aws:secretsmanager:${region}:${ACCOUNT}:secret:${name}-${randomUUID().slice(0, 6)}`,
        name,
        description: typeof input.Description === 'string' ? input.Description : undefined,
        versionId: textOf(input.ClientRequestToken, randomUUID()),
        secretString: input.SecretString,
        createdAt: now,
        changedAt: now,
      };
      secrets.set(name, secret);
      return { ARN: secret.arn, Name: name, VersionId: secret.versionId };
    },
    PutSecretValue(input) {
      const secret = find(input.SecretId);
      if (typeof input.SecretString !== 'string')
        throw new ServiceError('InvalidRequestException', 'You must provide either SecretString or SecretBinary.');
      secret.secretString = input.SecretString;
      secret.versionId = textOf(input.ClientRequestToken, randomUUID());
      secret.changedAt = Date.now();
      return { ARN: secret.arn, Name: secret.name, VersionId: secret.versionId, VersionStages: ['AWSCURRENT'] };
    },
    GetSecretValue(input) {
      const secret = find(input.SecretId);
      return {
        ARN: secret.arn,
        Name: secret.name,
        VersionId: secret.versionId,
        SecretString: secret.secretString,
        VersionStages: ['AWSCURRENT'],
        CreatedDate: toEpoch(secret.changedAt),
      };
    },
    DescribeSecret(input) {
      const secret = find(input.SecretId);
      return {
        ARN: secret.arn,
        Name: secret.name,
        Description: secret.description,
        CreatedDate: toEpoch(secret.createdAt),
        LastChangedDate: toEpoch(secret.changedAt),
        VersionIdsToStages: { [secret.versionId]: ['AWSCURRENT'] },
      };
    },
  };

  const send = (response: ServerResponse, status: number, body: unknown, errorType?: string) => {
    const headers: Record<string, string> = { 'Content-Type': 'application/x-amz-json-1.1', 'x-amzn-RequestId': randomUUID() };
    if (errorType) headers['x-amzn-ErrorType'] = errorType;
    response.writeHead(status, headers).end(JSON.stringify(body));
  };

  return (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const target = String(request.headers['x-amz-target'] ?? '');
      const operation = operations[target.replace(/^secretsmanager\./, '')];
      try {
        if (request.method !== 'POST' || !target.startsWith('secretsmanager.') || !operation) {
          throw new ServiceError('UnknownOperationException', `Unsupported operation ${target || '(none)'}`);
        }
        const input = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {};
        const output = operation(input);
        if (/^(Create|Put|Update|Delete)/.test(target.replace(/^secretsmanager\./, ''))) save();
        send(response, 200, output);
      } catch (error) {
        const serviceError = error instanceof ServiceError ? error : new ServiceError('InternalServiceError', 'Internal error', 500);
        send(response, serviceError.status, { __type: serviceError.type, message: serviceError.message }, serviceError.type);
      }
    });
  };
};

export const startSecretsManagerServer = (port: number, region = 'us-east-1', stateFile?: string): Promise<SecretsManagerServer> =>
  new Promise((resolve, reject) => {
    const server = createServer(createSecretsManagerHandler(region, stateFile));
    server.on('error', reject);
    server.listen(port, '127.0.0.1', () =>
      resolve({
        endpoint: `http://127.0.0.1:${port}`,
        server,
        stop: () => new Promise((done) => server.close(() => done())),
      }),
    );
  });
