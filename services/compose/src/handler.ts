import { createComposeHandler } from '@ai-multi-comms/core';

/** The compose step: the router's hand-over → one AI thread, each channel's first message → one SNS message. */
export const handler = createComposeHandler({ serviceName: 'compose' });
