export * from './client-event';
export * from './client-events-queue';
export * from './deliver-client-event';
export * from './client-events-handler';
