import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { eventually, stackClients, StackState } from './stack';

/** Read a conversation item, and wait for it to reach a status with no lease left. */
export const conversationReader = (state: StackState, clients: ReturnType<typeof stackClients>) => {
  const item = async (primaryChannel: string, conversationId: string) =>
    (await clients.documents.send(new GetCommand({ TableName: state.resources.conversationsTable, Key: { primary_channel: primaryChannel, conversation_id: conversationId }, ConsistentRead: true }))).Item;
  const waitForStatus = (primaryChannel: string, conversationId: string, status: string, timeoutMs = 20_000) =>
    eventually(
      `conversation ${conversationId} to be ${status}`,
      async () => {
        const found = await item(primaryChannel, conversationId);
        return found?.conversation_status === status && !found.lease_owner ? found : undefined;
      },
      timeoutMs,
    );
  return { item, waitForStatus };
};
