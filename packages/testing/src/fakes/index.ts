export * from './in-memory-deliveries';
export * from './in-memory-threads';
export * from './quiet-observability';
export * from './fixed-clock';
export * from './memory-secrets';
