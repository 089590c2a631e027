import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoConversationEntries, INITIAL_MESSAGE } from '@ai-multi-comms/core';
import { eventually, stackClients, StackState } from './stack';

/** The first message's delivery state, as its own item in the messages table holds it. */
const DELIVERY_FIELDS = [
  'message_status',
  'attempts',
  'lease_owner',
  'lease_expires_at',
  'send_started_at',
  'send_intents',
  'provider_message_id',
] as const;

/**
 * Read a conversation and wait for it to reach a status with no lease left. `item` is the
 * conversation item with its first message's delivery fields (DELIVERY_FIELDS, read from the
 * messages table) beside it, so a test can say both "sent" and "once, on attempt 2"; `parts`
 * gives the two items apart.
 */
export const conversationReader = (state: StackState, clients: ReturnType<typeof stackClients>) => {
  const entries = dynamoConversationEntries(clients.documents, state.resources.messagesTable!);
  /** The conversation item with its message entries (their own items) as `messages`, in order, as a reader of the whole conversation sees it. */
  const parts = async (primaryChannel: string, conversationId: string, messageKey = INITIAL_MESSAGE) => {
    const items = () =>
      Promise.all([
        clients.documents.send(
          new GetCommand({
            TableName: state.resources.conversationsTable,
            Key: { primary_channel: primaryChannel, conversation_id: conversationId },
            ConsistentRead: true,
          }),
        ),
        clients.documents.send(
          new GetCommand({
            TableName: state.resources.messagesTable,
            Key: { conversation_id: conversationId, message_key: messageKey },
            ConsistentRead: true,
          }),
        ),
      ]);
    // One consistent picture: the items, the entries, the items again, until nothing changed in
    // between. A sender writes an entry and the conversation's status in one transaction, but a
    // reader reads them apart, and either order alone can see one write without the other (CI saw
    // both: an answer beside 'reply_received', and 'initial_message_sent' with no entry yet).
    for (;;) {
      const [conversation, message] = await items();
      const messages = await entries.all(conversationId);
      const [again, messageAgain] = await items();
      if (JSON.stringify([conversation.Item, message.Item]) !== JSON.stringify([again.Item, messageAgain.Item])) continue;
      return {
        conversation: conversation.Item ? ({ ...conversation.Item, messages } as Record<string, any>) : undefined,
        message: message.Item,
      };
    }
  };
  const item = async (primaryChannel: string, conversationId: string): Promise<Record<string, any> | undefined> => {
    const { conversation, message } = await parts(primaryChannel, conversationId);
    if (!conversation) return undefined;
    return {
      ...conversation,
      ...Object.fromEntries(DELIVERY_FIELDS.filter((field) => message?.[field] !== undefined).map((field) => [field, message![field]])),
    };
  };
  const waitForStatus = (primaryChannel: string, conversationId: string, status: string, timeoutMs = 20_000) =>
    eventually(
      `conversation ${conversationId} to be ${status}`,
      async () => {
        const found = await item(primaryChannel, conversationId);
        return found?.conversation_status === status && !found.lease_owner ? found : undefined;
      },
      timeoutMs,
    );
  return { item, parts, waitForStatus };
};
