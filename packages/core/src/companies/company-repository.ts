import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { transient } from '../errors/app-error';
import { ErrorCodes } from '../errors/error-codes';
import { CompanyProject } from './types';

/** The company-data table: read by the router, written by onboarding. */
export interface CompanyRepository {
  get(companyId: string, projectId: string): Promise<CompanyProject | undefined>;
  put(item: CompanyProject): Promise<void>;
}

export const dynamoCompanyRepository = (client: DynamoDBDocumentClient, tableName: string): CompanyRepository => ({
  async get(companyId, projectId) {
    try {
      const result = await client.send(new GetCommand({ TableName: tableName, Key: { company_id: companyId, project_id: projectId } }));
      return result.Item as CompanyProject | undefined;
    } catch (error) {
      throw transient(ErrorCodes.DATABASE_ERROR, 'The company configuration could not be read. Please retry.', error);
    }
  },
  async put(item) {
    try {
      await client.send(new PutCommand({ TableName: tableName, Item: item }));
    } catch (error) {
      throw transient(ErrorCodes.DATABASE_ERROR, 'The company configuration could not be written.', error);
    }
  },
});
