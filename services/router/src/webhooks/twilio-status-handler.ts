import { receiveTwilioStatus } from '@ai-multi-comms/core';
import { createTwilioStatusDeps } from './webhook-dependencies';
import { twilioCallOf, webhookHandler } from './webhook-handler';

/** POST /webhooks/twilio/status: verify, record the event, move the status forward (core delivery-status/) → empty TwiML. */
export const handler = webhookHandler(receiveTwilioStatus, twilioCallOf, createTwilioStatusDeps);
