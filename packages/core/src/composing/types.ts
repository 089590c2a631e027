import { ComposedPart } from '../context-object/types';
import { FailureClass } from '../conversations/types';
import { Channel } from '../request/types';

/** The threads table's item: one per request (docs/data-model.md). */
export type ThreadStatus = 'composing' | 'published' | 'failed';

export interface ThreadConversation {
  channel: Channel;
  conversation_id: string;
  /** The conversations table's partition key for it: the recipient's address on the channel. */
  primary_channel: string;
}

export interface ThreadItem {
  thread_key: string;
  /** The project's retention (DynamoDB TTL), like its conversations'. */
  expires_at?: number;
  company_id: string;
  project_id: string;
  request_id: string;
  channels: Channel[];
  conversations: ThreadConversation[];
  status: ThreadStatus;
  /** The OpenAI conversation (`conv_…`), stored before any content is generated. */
  thread_id?: string;
  /** Each channel's first message, stored as soon as it is written, so a retry never writes it again. */
  composed?: Partial<Record<Channel, ComposedPart>>;
  attempts: number;
  lease_owner?: string;
  lease_expires_at?: number;
  failure_reason?: string;
  failure_class?: FailureClass;
  published_at?: string;
  created_at: string;
  updated_at: string;
}

/** `company_id#project_id#request_id`: the request's identity, as the idempotency key writes it. */
export const threadKeyOf = (companyId: string, projectId: string, requestId: string): string => `${companyId}#${projectId}#${requestId}`;
