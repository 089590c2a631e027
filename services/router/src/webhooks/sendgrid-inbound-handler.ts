import { receiveInboundEmail } from '@ai-multi-comms/core';
import { createSendGridInboundDeps } from './webhook-dependencies';
import { webhookHandler } from './webhook-handler';

/** POST /webhooks/sendgrid/inbound: Basic credentials → parse, store, link, enqueue (core replies/) → 200. */
export const handler = webhookHandler(
  receiveInboundEmail,
  (call) => ({
    rawBody: call.rawBody,
    isBase64Encoded: call.isBase64Encoded,
    contentType: call.header('content-type'),
    authorization: call.header('authorization'),
  }),
  createSendGridInboundDeps,
);
