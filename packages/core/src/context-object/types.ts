import { CompanyPayload } from '../companies/types';
import { InitiateConversationRequest } from '../request/types';

export const CONTEXT_OBJECT_SCHEMA_VERSION = 1;

/** The message body every channel processor receives (data-model.md). */
export interface ContextObject {
  schema_version: typeof CONTEXT_OBJECT_SCHEMA_VERSION;
  frontend_payload: InitiateConversationRequest;
  company_data_payload: CompanyPayload;
  conversation_data: {
    conversation_id: string;
    conversation_status: 'initiated';
    thread_id: string | null;
  };
  metadata: {
    router_version: string;
    received_at: string;
    trace_id: string;
  };
}
