import type { MessageAttributeValue } from '@aws-sdk/client-sqs';
import { CompanyProject, CompanyPayload } from '../companies/types';
import { InitiateConversationRequest } from '../request/types';
import { conversationIdFor } from './conversation-id';
import { CONTEXT_OBJECT_SCHEMA_VERSION, ContextObject } from './types';

export interface BuildContextObjectInput {
  request: InitiateConversationRequest;
  company: CompanyProject;
  receivedAt: Date;
  routerVersion: string;
  traceId: string;
}

/** The company item as forwarded: key hashes stay in the table (they are the router's business only). */
export const toCompanyPayload = (company: CompanyProject): CompanyPayload => {
  const { api_key_sha256: _hashes, ...payload } = company;
  return payload;
};

export const buildContextObject = ({ request, company, receivedAt, routerVersion, traceId }: BuildContextObjectInput): ContextObject => ({
  schema_version: CONTEXT_OBJECT_SCHEMA_VERSION,
  frontend_payload: request,
  company_data_payload: toCompanyPayload(company),
  conversation_data: {
    conversation_id: conversationIdFor(request, company),
    conversation_status: 'initiated',
    thread_id: null,
  },
  metadata: { router_version: routerVersion, received_at: receivedAt.toISOString(), trace_id: traceId },
});

/** SQS message attributes (data-model.md), so consumers and operators can filter without parsing the body. */
export const contextObjectMessageAttributes = (contextObject: ContextObject, routerTimestamp: string): Record<string, MessageAttributeValue> => {
  const recipient = contextObject.frontend_payload.recipient_data;
  const attributes: Record<string, MessageAttributeValue> = {
    channelMethod: { DataType: 'String', StringValue: contextObject.frontend_payload.request_data.channel_method },
    conversationId: { DataType: 'String', StringValue: contextObject.conversation_data.conversation_id },
    routerTimestamp: { DataType: 'String', StringValue: routerTimestamp },
  };
  if (recipient.recipient_tel) attributes.recipientTel = { DataType: 'String', StringValue: recipient.recipient_tel };
  if (recipient.recipient_email) attributes.recipientEmail = { DataType: 'String', StringValue: recipient.recipient_email };
  return attributes;
};
