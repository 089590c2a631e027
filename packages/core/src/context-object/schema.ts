import { TRACE_ID_MAX_LENGTH } from '../observability/trace-id';
import { companyPayloadSchema } from '../companies/company-schema';
import { initiateConversationRequestSchema } from '../request/schema';

/** JSON schema of the Context Object: the processor validates what it receives as strictly as the router validates requests. */
export const contextObjectSchema = {
  type: 'object',
  required: ['schema_version', 'frontend_payload', 'company_data_payload', 'conversation_data', 'metadata'],
  additionalProperties: false,
  properties: {
    schema_version: { const: 1 },
    frontend_payload: { ...initiateConversationRequestSchema, $id: undefined },
    company_data_payload: companyPayloadSchema,
    conversation_data: {
      type: 'object',
      required: ['conversation_id', 'conversation_status', 'thread_id'],
      additionalProperties: false,
      properties: {
        conversation_id: { type: 'string', minLength: 1, maxLength: 1024 },
        conversation_status: { const: 'initiated' },
        thread_id: { type: ['string', 'null'] },
      },
    },
    metadata: {
      type: 'object',
      required: ['router_version', 'received_at', 'trace_id'],
      additionalProperties: false,
      properties: {
        router_version: { type: 'string' },
        received_at: { type: 'string', format: 'date-time' },
        trace_id: { type: 'string', minLength: 1, maxLength: TRACE_ID_MAX_LENGTH },
      },
    },
  },
} as const;
