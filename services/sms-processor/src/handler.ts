import { createChannelHandler } from '@ai-multi-comms/core';
import { smsChannel } from './sms-channel';

/** The SMS processor: the shared channel pipeline with the SMS adapter. */
export const handler = createChannelHandler(smsChannel, { serviceName: 'sms-processor' });
