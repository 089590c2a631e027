export * from './redaction';
export * from './logger';
export * from './tracing';
export * from './trace-id';
export * from './safe-log-formatter';
