import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoConversationEntries, dynamoDeliveryRepository, INITIAL_MESSAGE, LeaseLost, MessageEntry } from '../../src';
import { useLocalStack } from '@ai-multi-comms/testing/stack';

/** A message's delivery against DynamoDB Local: its own item, and its conversation's record of it. */
const { state, clients } = useLocalStack();
const repository = () =>
  dynamoDeliveryRepository(clients.documents, {
    conversationsTable: state.resources.conversationsTable!,
    messagesTable: state.resources.messagesTable!,
  });

const newKey = () => ({
  conversation: { primary_channel: `+4477009${Math.floor(Math.random() * 1e5)}`, conversation_id: `c#p#${randomUUID()}#447700900001` },
  messageKey: INITIAL_MESSAGE,
});
const conversationOf = async (key: ReturnType<typeof newKey>) =>
  (
    await clients.documents.send(
      new GetCommand({ TableName: state.resources.conversationsTable, Key: key.conversation, ConsistentRead: true }),
    )
  ).Item!;
const entry = (sid: string): MessageEntry => ({
  message_id: sid,
  timestamp: new Date().toISOString(),
  role: 'assistant',
  channel: 'whatsapp',
  content: 'hello',
});
const finalUpdate = (sid: string) => ({
  message: entry(sid),
  conversationStatus: 'initial_message_sent' as const,
  threadId: 'conv_1',
  processingTimeMs: 5,
  processorVersion: 't',
});

it('the first claim creates the conversation and the message; the conversation holds no delivery state', async () => {
  const key = newKey();
  const claim = await repository().claim(key, { channel_method: 'whatsapp', request_id: 'r' }, new Date(), 60_000);
  expect(claim).toMatchObject({ outcome: 'claimed', attempt: 1, takenOver: false });
  expect(await conversationOf(key)).toMatchObject({ conversation_status: 'processing', message_count: 0, request_id: 'r' });
  expect(await conversationOf(key)).not.toHaveProperty('lease_owner');
  expect(await repository().getMessage(key)).toMatchObject({
    message_status: 'processing',
    channel: 'whatsapp',
    lease_owner: expect.any(String),
  });
});

it('a final update repeated after its answer was lost lists the message once; another provider id is refused', async () => {
  const key = newKey();
  await repository().claim(key, { channel_method: 'whatsapp' }, new Date(), 60_000);
  await repository().complete(key, finalUpdate('SM1'), new Date());
  await repository().complete(key, finalUpdate('SM1'), new Date()); // the retry of a write that had succeeded
  const conversation = await conversationOf(key);
  expect(conversation).toMatchObject({ conversation_status: 'initial_message_sent', thread_id: 'conv_1' });
  const entries = () => dynamoConversationEntries(clients.documents, state.resources.messagesTable!).all(key.conversation.conversation_id);
  expect((await entries()).map((m: MessageEntry) => m.message_id)).toEqual(['SM1']);
  expect(conversation.message_count).toBe(1);
  await expect(repository().complete(key, finalUpdate('SM2'), new Date())).rejects.toMatchObject({ code: 'DATABASE_ERROR' });
  expect(await entries()).toHaveLength(1);
  expect((await conversationOf(key)).message_count).toBe(1);
  expect(await repository().getMessage(key)).toMatchObject({ message_status: 'sent', provider_message_id: 'SM1' });
});

it('a failure is recorded on the message and mirrored on the conversation only with the lease; a lost lease changes neither', async () => {
  const key = newKey();
  const claim = await repository().claim(key, { channel_method: 'sms' }, new Date(), 60_000);
  if (claim.outcome !== 'claimed') throw new Error('not claimed');
  await expect(
    repository().recordFailure(
      key,
      'another-token',
      { status: 'failed_to_send_message', reason: 'x', failureClass: 'transient' },
      new Date(),
    ),
  ).rejects.toBeInstanceOf(LeaseLost);
  expect(await conversationOf(key)).toMatchObject({ conversation_status: 'processing' });
  await repository().recordFailure(
    key,
    claim.leaseToken,
    { status: 'failed_to_send_message', reason: 'Twilio 21211', failureClass: 'permanent' },
    new Date(),
  );
  expect(await conversationOf(key)).toMatchObject({
    conversation_status: 'failed_to_send_message',
    failure_reason: 'Twilio 21211',
    failure_class: 'permanent',
  });
  expect(await repository().getMessage(key)).toMatchObject({ message_status: 'failed_to_send_message', failure_class: 'permanent' });
  expect(await repository().getMessage(key)).not.toHaveProperty('lease_owner');
  expect(await repository().claim(key, { channel_method: 'sms' }, new Date(), 60_000)).toMatchObject({ outcome: 'done' });
});
