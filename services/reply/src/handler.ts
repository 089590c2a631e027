import { createReplyHandler } from '@ai-multi-comms/core';

/** The reply step: a verified, linked inbound message → one AI turn on its thread → the answer to the channel's sender. */
export const handler = createReplyHandler({ serviceName: 'reply' });
