import { createChannelHandler } from '@ai-multi-comms/core';
import { whatsappChannel } from './whatsapp-channel';

/** The WhatsApp processor: the shared channel pipeline with the WhatsApp adapter. */
export const handler = createChannelHandler(whatsappChannel, { serviceName: 'whatsapp-processor' });
