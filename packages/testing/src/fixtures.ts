import { randomUUID } from 'node:crypto';
import { buildContextObject, validateInitiateRequest } from '@ai-multi-comms/core';
import type { CompanyProject, ContextObject } from '@ai-multi-comms/core';

/** A valid request body; `patch` edits a fresh copy. */
export const requestBody = (patch?: (body: Record<string, any>) => void): Record<string, any> => {
  const body: Record<string, any> = {
    company_data: { company_id: 'ci-aaa-001', project_id: 'pi-aaa-001' },
    recipient_data: {
      recipient_first_name: 'John',
      recipient_last_name: 'Doe',
      recipient_tel: '+447700900123',
      recipient_email: 'john.doe@example.com',
      comms_consent: true,
    },
    project_data: { jobID: '9999', jobRole: 'Healthcare Assistant' },
    request_data: { request_id: randomUUID(), channel_method: 'whatsapp', initial_request_timestamp: '2025-09-15T11:45:32.789Z' },
  };
  patch?.(body);
  return body;
};

export const companyItem = (patch?: (item: CompanyProject) => void): CompanyProject => {
  const item: CompanyProject = {
    company_id: 'ci-aaa-001',
    project_id: 'pi-aaa-001',
    company_name: 'Acme',
    project_name: 'Carers',
    project_status: 'active',
    allowed_channels: ['whatsapp', 'sms', 'email'],
    api_key_sha256: [],
    rate_limits: { requests_per_minute: 60, requests_per_day: 2000 },
    company_rep: { company_rep_1: 'Sarah' },
    ai_config: {
      openai_config: {
        whatsapp: { api_key_reference: 'ai-multi-comms/openai-api-key/whatsapp-dev', model: 'gpt-4o-mini', instructions: 'Be kind.' },
        sms: { api_key_reference: 'ai-multi-comms/openai-api-key/whatsapp-dev', model: 'gpt-4o-mini', instructions: 'Be brief.' },
        email: { api_key_reference: 'ai-multi-comms/openai-api-key/whatsapp-dev', prompt_id: 'pmpt_123' },
      },
    },
    channel_config: {
      whatsapp: {
        company_whatsapp_number: '+447700900001',
        whatsapp_credentials_id: 'ai-multi-comms/whatsapp-credentials/ci-aaa-001/pi-aaa-001/twilio-dev',
      },
      // A test sends many messages from one number at once: paced at 50/s, not a long code's 1/s.
      sms: {
        company_sms_number: '+447700900002',
        sms_credentials_id: 'ai-multi-comms/sms-credentials/ci-aaa-001/pi-aaa-001/twilio-dev',
        messages_per_second: 50,
      },
      email: {
        company_email: 'jobs@acme.example.com',
        email_credentials_id: 'ai-multi-comms/email-credentials/ci-aaa-001/pi-aaa-001/sendgrid-dev',
      },
    },
    created_at: '2025-01-01T00:00:00.000Z',
    updated_at: '2025-01-01T00:00:00.000Z',
  };
  patch?.(item);
  return item;
};

/** The router's Context Object for `requestBody(patch)` and `companyItem()`, as the compose step receives it: no stack needed. */
export const contextObjectFixture = (
  patch?: (body: Record<string, any>) => void,
  company: CompanyProject = companyItem(),
): ContextObject => {
  const request = validateInitiateRequest(requestBody(patch));
  const channels = request.request_data.channel_method === 'all' ? [...company.allowed_channels] : request.request_data.channel_method;
  return buildContextObject({
    request: { ...request, request_data: { ...request.request_data, channel_method: channels } },
    company,
    receivedAt: new Date('2026-01-05T10:00:00.000Z'),
    routerVersion: 'test',
    traceId: randomUUID(),
  });
};
