import { createClientEventsHandler } from '@ai-multi-comms/core';

/** Client events: one event of the FIFO queue (a group per conversation) → signed → the project's endpoint. */
export const handler = createClientEventsHandler();
