import { createChannelHandler } from '@ai-multi-comms/core';
import { emailChannel } from './email-channel';

/** The e-mail processor: the shared channel pipeline with the SendGrid adapter. */
export const handler = createChannelHandler(emailChannel, { serviceName: 'email-processor' });
