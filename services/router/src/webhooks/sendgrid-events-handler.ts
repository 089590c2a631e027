import { receiveSendGridEvents } from '@ai-multi-comms/core';
import { createSendGridEventsDeps } from './webhook-dependencies';
import { webhookHandler } from './webhook-handler';

/** POST /webhooks/sendgrid/events: verify the ECDSA signature → record each event (core delivery-status/) → 200. */
export const handler = webhookHandler(
  receiveSendGridEvents,
  (call) => ({
    rawBody: call.rawBody,
    isBase64Encoded: call.isBase64Encoded,
    signature: call.header('x-twilio-email-event-webhook-signature'),
    timestamp: call.header('x-twilio-email-event-webhook-timestamp'),
  }),
  createSendGridEventsDeps,
);
