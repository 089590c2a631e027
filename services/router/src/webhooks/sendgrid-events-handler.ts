import { receiveSendGridEvents } from '@ai-multi-comms/core';
import { createSendGridEventsDeps } from './webhook-dependencies';
import { webhookHandler } from './webhook-handler';

/**
 * POST /webhooks/sendgrid/events/{company_id}/{project_id} (and the deprecated POST
 * /webhooks/sendgrid/events): verify the ECDSA signature with the project's key → record each
 * event (core delivery-status/) → 200.
 */
export const handler = webhookHandler(
  receiveSendGridEvents,
  (call) => {
    const companyId = call.pathParameter('company_id');
    const projectId = call.pathParameter('project_id');
    return {
      rawBody: call.rawBody,
      isBase64Encoded: call.isBase64Encoded,
      signature: call.header('x-twilio-email-event-webhook-signature'),
      timestamp: call.header('x-twilio-email-event-webhook-timestamp'),
      ...(companyId && projectId ? { project: { companyId, projectId } } : {}),
    };
  },
  createSendGridEventsDeps,
);
