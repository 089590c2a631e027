export * from './channel-adapter';
export * from './failure';
export * from './process-record';
export * from './provider-failure';
export * from './runtime';
export * from './queue-outcomes';
