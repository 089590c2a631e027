import { randomUUID } from 'node:crypto';
import { buildContextObject, ContextObject, dynamoCompanyRepository, validateInitiateRequest } from '@ai-multi-comms/core';
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
