import { receiveTwilioMessage } from '@ai-multi-comms/core';
import { createTwilioWebhookDeps } from './webhook-dependencies';
import { twilioCallOf, webhookHandler } from './webhook-handler';

/** POST /webhooks/twilio/messages: verify, store, link, enqueue (core replies/) → empty TwiML. */
export const handler = webhookHandler(receiveTwilioMessage, twilioCallOf, createTwilioWebhookDeps);
