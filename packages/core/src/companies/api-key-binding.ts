import { randomBytes } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { notFound } from '../errors/app-error';
import { ErrorCodes } from '../errors/error-codes';
import { sha256Hex } from '../util/canonical-json';
import { CompanyProject } from './types';

/**
 * Binding API keys to a company/project (docs/api.md): the item holds only SHA-256 hashes. A rotation
 * adds the new key's hash and keeps the old ones valid until they are revoked explicitly, so
 * clients can switch over without an outage. Routers cache the item briefly
 * (COMPANY_CACHE_SECONDS), so a change reaches every warm router within that time.
 */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** 40 random characters, the shape of an API Gateway key value. */
export const generateApiKeyValue = (): string => [...randomBytes(40)].map((byte) => ALPHABET[byte % ALPHABET.length]).join('');

export const bindApiKey = async (
  client: DynamoDBDocumentClient,
  tableName: string,
  ref: { companyId: string; projectId: string },
  key: { value: string; reference: string },
  now: Date,
): Promise<CompanyProject> => {
  const hash = sha256Hex(key.value);
  try {
    const { Attributes } = await client.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { company_id: ref.companyId, project_id: ref.projectId },
        UpdateExpression: 'SET api_key_sha256 = list_append(if_not_exists(api_key_sha256, :empty), :hash), api_key_reference = :reference, updated_at = :now',
        ConditionExpression: 'attribute_exists(company_id)',
        ExpressionAttributeValues: { ':empty': [], ':hash': [hash], ':reference': key.reference, ':now': now.toISOString() },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return Attributes as CompanyProject;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) throw notFound(ErrorCodes.COMPANY_NOT_FOUND, `No project ${ref.projectId} of company ${ref.companyId}.`);
    throw error;
  }
};

/** Keep only `keepHash`: every other key of the project stops working (after the routers' cache time). */
export const revokeOtherApiKeys = async (
  client: DynamoDBDocumentClient,
  tableName: string,
  ref: { companyId: string; projectId: string },
  keepHash: string,
  now: Date,
): Promise<{ revoked: number }> => {
  const { Item } = await client.send(new GetCommand({ TableName: tableName, Key: { company_id: ref.companyId, project_id: ref.projectId }, ConsistentRead: true }));
  if (!Item) throw notFound(ErrorCodes.COMPANY_NOT_FOUND, `No project ${ref.projectId} of company ${ref.companyId}.`);
  const before = (Item.api_key_sha256 as string[] | undefined) ?? [];
  // Conditional on the list we read, so a concurrent rotation is not silently undone.
  await client.send(
    new UpdateCommand({
      TableName: tableName,
      Key: { company_id: ref.companyId, project_id: ref.projectId },
      UpdateExpression: 'SET api_key_sha256 = :keep, updated_at = :now',
      ConditionExpression: 'api_key_sha256 = :before',
      ExpressionAttributeValues: { ':keep': [keepHash], ':before': before, ':now': now.toISOString() },
    }),
  );
  return { revoked: before.filter((hash) => hash !== keepHash).length };
};
