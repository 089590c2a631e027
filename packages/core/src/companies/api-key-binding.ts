import { randomBytes } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { notFound } from '../errors/app-error';
import { ErrorCodes } from '../errors/error-codes';
import { sha256Hex } from '../util/canonical-json';
import { ApiKeyRecord, CompanyProject } from './types';

/**
 * Binding API keys to a company/project (docs/api.md): the item holds only SHA-256 hashes. A rotation
 * adds the new key's hash and keeps the old ones valid until they are revoked explicitly, so
 * clients can switch over without an outage. Routers cache the item briefly
 * (COMPANY_CACHE_SECONDS), so a change reaches every warm router within that time.
 */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** 40 random characters, the shape of an API Gateway key value. */
export const generateApiKeyValue = (): string => [...randomBytes(40)].map((byte) => ALPHABET[byte % ALPHABET.length]).join('');

/** The id operators name a key by (list, revoke): the start of its hash, never the key itself. */
export const apiKeyIdOf = (sha256: string): string => sha256.slice(0, 16);

/** What `api-key list` shows of one key: its id, and where it came from when it was issued by `api-key create`. */
export interface ApiKeyListing {
  key_id: string;
  /** The API Gateway key id (AWS) or local key name; absent for a key given in an onboarding file. */
  reference?: string;
  created_at?: string;
}

const projectNotFound = (ref: { companyId: string; projectId: string }) =>
  notFound(ErrorCodes.COMPANY_NOT_FOUND, `No project ${ref.projectId} of company ${ref.companyId}.`);

const readProject = async (
  client: DynamoDBDocumentClient,
  tableName: string,
  ref: { companyId: string; projectId: string },
): Promise<CompanyProject> => {
  const { Item } = await client.send(
    new GetCommand({ TableName: tableName, Key: { company_id: ref.companyId, project_id: ref.projectId }, ConsistentRead: true }),
  );
  if (!Item) throw projectNotFound(ref);
  return Item as CompanyProject;
};

/** The project, or COMPANY_NOT_FOUND: `api-key create` checks this before it creates anything in API Gateway. */
export const requireProject = readProject;

export const listApiKeys = async (
  client: DynamoDBDocumentClient,
  tableName: string,
  ref: { companyId: string; projectId: string },
): Promise<ApiKeyListing[]> => {
  const item = await readProject(client, tableName, ref);
  const records = new Map((item.api_key_records ?? []).map((record) => [record.key_id, record]));
  return item.api_key_sha256.map((hash) => {
    const record = records.get(apiKeyIdOf(hash));
    return {
      key_id: apiKeyIdOf(hash),
      ...(record?.reference ? { reference: record.reference } : {}),
      ...(record?.created_at ? { created_at: record.created_at } : {}),
    };
  });
};

export const bindApiKey = async (
  client: DynamoDBDocumentClient,
  tableName: string,
  ref: { companyId: string; projectId: string },
  key: { value: string; reference: string },
  now: Date,
): Promise<CompanyProject> => {
  const hash = sha256Hex(key.value);
  const record: ApiKeyRecord = { key_id: apiKeyIdOf(hash), reference: key.reference, created_at: now.toISOString() };
  try {
    const { Attributes } = await client.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { company_id: ref.companyId, project_id: ref.projectId },
        UpdateExpression:
          'SET api_key_sha256 = list_append(if_not_exists(api_key_sha256, :empty), :hash), api_key_records = list_append(if_not_exists(api_key_records, :empty), :record), api_key_reference = :reference, updated_at = :now',
        ConditionExpression: 'attribute_exists(company_id)',
        ExpressionAttributeValues: {
          ':empty': [],
          ':hash': [hash],
          ':record': [record],
          ':reference': key.reference,
          ':now': now.toISOString(),
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return Attributes as CompanyProject;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) throw projectNotFound(ref);
    throw error;
  }
};

/**
 * Revoke the project's keys that `revoke` selects (by hash): they leave the binding (routers stop
 * accepting them within their cache time), their records go too; the revoked keys' references are
 * returned so the caller also disables them in API Gateway. Conditional on the list read, so a
 * concurrent issue or revocation is not silently undone (the command then fails and can be re-run).
 */
export const revokeApiKeys = async (
  client: DynamoDBDocumentClient,
  tableName: string,
  ref: { companyId: string; projectId: string },
  revoke: (sha256: string) => boolean,
  now: Date,
): Promise<{ revoked: ApiKeyListing[]; remaining: number }> => {
  const item = await readProject(client, tableName, ref);
  const before = item.api_key_sha256 ?? [];
  const gone = new Set(before.filter(revoke).map(apiKeyIdOf));
  const records = item.api_key_records ?? [];
  const keep = before.filter((hash) => !gone.has(apiKeyIdOf(hash)));
  if (gone.size === 0) return { revoked: [], remaining: keep.length };
  await client.send(
    new UpdateCommand({
      TableName: tableName,
      Key: { company_id: ref.companyId, project_id: ref.projectId },
      UpdateExpression: 'SET api_key_sha256 = :keep, api_key_records = :records, updated_at = :now',
      ConditionExpression: 'api_key_sha256 = :before',
      ExpressionAttributeValues: {
        ':keep': keep,
        ':records': records.filter((record) => !gone.has(record.key_id)),
        ':before': before,
        ':now': now.toISOString(),
      },
    }),
  );
  const byId = new Map(records.map((record) => [record.key_id, record]));
  return {
    revoked: [...gone].map((key_id) => ({ key_id, ...(byId.get(key_id)?.reference ? { reference: byId.get(key_id)!.reference } : {}) })),
    remaining: keep.length,
  };
};

/** Keep only `keepHash`: every other key of the project stops working (after the routers' cache time). */
export const revokeOtherApiKeys = async (
  client: DynamoDBDocumentClient,
  tableName: string,
  ref: { companyId: string; projectId: string },
  keepHash: string,
  now: Date,
): Promise<{ revoked: ApiKeyListing[]; remaining: number }> => revokeApiKeys(client, tableName, ref, (hash) => hash !== keepHash, now);
