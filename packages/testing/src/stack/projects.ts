import { randomUUID } from 'node:crypto';
import { CompanyProject, dynamoCompanyRepository, sha256Hex } from '@ai-multi-comms/core';
import { stackClients, StackState } from './stack';

/**
 * A project of its own for a test that changes a project's state (deactivates it, rotates its
 * credentials, counts its rate limit exactly): a copy of demo company A's project under a fresh
 * project id and API key, written to the company-data table. Other tests never see it.
 */
export const throwawayProject = async (
  state: StackState,
  clients: ReturnType<typeof stackClients>,
  patch?: (item: CompanyProject) => void,
): Promise<{ item: CompanyProject; apiKey: string }> => {
  const companies = dynamoCompanyRepository(clients.documents, state.resources.companyDataTable!);
  const demo = (await companies.get('ci-aaa-001', 'pi-aaa-001'))!;
  const apiKey = `throwaway-key-${randomUUID()}`;
  const item: CompanyProject = structuredClone({
    ...demo,
    project_id: `pi-t-${randomUUID().slice(0, 8)}`,
    api_key_sha256: [sha256Hex(apiKey)],
  });
  patch?.(item);
  await companies.put(item);
  return { item, apiKey };
};
