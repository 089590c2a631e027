import type { MessageAttributeValue } from '@aws-sdk/client-sqs';
import { CompanyProject, CompanyPayload } from '../companies/types';
import { ResolvedRequest } from '../request/types';
import { conversationsFor } from './conversation-id';
import { ComposedMessage, CONTEXT_OBJECT_SCHEMA_VERSION, ContextObject } from './types';

export interface BuildContextObjectInput {
  request: ResolvedRequest;
  company: CompanyProject;
  receivedAt: Date;
  routerVersion: string;
  traceId: string;
}

/** The company item as forwarded: key hashes stay in the table (they are the router's business only). */
export const toCompanyPayload = (company: CompanyProject): CompanyPayload => {
  const { api_key_sha256: _hashes, api_key_records: _records, ...payload } = company;
  return payload;
};

export const buildContextObject = ({ request, company, receivedAt, routerVersion, traceId }: BuildContextObjectInput): ContextObject => ({
  schema_version: CONTEXT_OBJECT_SCHEMA_VERSION,
  frontend_payload: request,
  company_data_payload: toCompanyPayload(company),
  conversation_data: {
    conversations: conversationsFor(request, company),
    conversation_status: 'initiated',
    thread_id: null,
  },
  metadata: { router_version: routerVersion, received_at: receivedAt.toISOString(), trace_id: traceId },
});

/** SQS message attributes of the router's hand-over, so operators can filter without parsing the body. */
export const contextObjectMessageAttributes = (
  contextObject: ContextObject,
  routerTimestamp: string,
): Record<string, MessageAttributeValue> => ({
  requestId: { DataType: 'String', StringValue: contextObject.frontend_payload.request_data.request_id },
  channels: { DataType: 'String', StringValue: contextObject.frontend_payload.request_data.channel_method.join(',') },
  conversationId: { DataType: 'String', StringValue: contextObject.conversation_data.conversations[0]!.conversation_id },
  routerTimestamp: { DataType: 'String', StringValue: routerTimestamp },
});

/**
 * The SNS message attributes of a composed message. Each channel's queue subscribes with the
 * filter policy `{"channel_<name>": ["true"]}`: one attribute per channel the message carries,
 * rather than one String.Array attribute, because the local SNS (fauxqs 1.9) matches a filter
 * against the attribute's whole string; AWS matches both forms alike.
 */
export const channelAttributeName = (channel: string): string => `channel_${channel}`;

export const composedMessageAttributes = (message: ComposedMessage): Record<string, { DataType: 'String'; StringValue: string }> => ({
  requestId: { DataType: 'String', StringValue: message.frontend_payload.request_data.request_id },
  threadId: { DataType: 'String', StringValue: message.conversation_data.thread_id },
  ...Object.fromEntries(
    message.conversation_data.conversations.map(({ channel }) => [
      channelAttributeName(channel),
      { DataType: 'String' as const, StringValue: 'true' },
    ]),
  ),
});
