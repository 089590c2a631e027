import { randomUUID } from 'node:crypto';
import { buildContextObject, CompanyProject, ContextObject, dynamoCompanyRepository, validateInitiateRequest } from '@ai-multi-comms/core';
import { stackClients, StackState, validBody } from './stack';

/**
 * A Context Object exactly as the router builds it, for demo company A's project as the stack
 * holds it, from `validBody(patch, channel)`: for tests that put messages straight on a queue
 * or into processRecord.
 */
export const demoContextObject = async (
  state: StackState,
  clients: ReturnType<typeof stackClients>,
  patch?: Parameters<typeof validBody>[0],
  channel?: string,
): Promise<ContextObject> => {
  const company = (await dynamoCompanyRepository(clients.documents, state.resources.companyDataTable!).get('ci-aaa-001', 'pi-aaa-001'))!;
  return buildContextObject({ request: validateInitiateRequest(validBody(patch, channel)), company, receivedAt: new Date(), routerVersion: 'test', traceId: randomUUID() });
};

/** The same, for any project (e.g. a throwaway one): `validBody(patch, channel)` with that project's ids. */
export const contextObjectFor = (company: CompanyProject, patch?: Parameters<typeof validBody>[0], channel?: string): ContextObject =>
  buildContextObject({
    request: validateInitiateRequest(
      validBody((body) => {
        body.company_data = { company_id: company.company_id, project_id: company.project_id };
        patch?.(body);
      }, channel),
    ),
    company,
    receivedAt: new Date(),
    routerVersion: 'test',
    traceId: randomUUID(),
  });
