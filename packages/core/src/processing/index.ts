export * from './channel-adapter';
export * from './failure';
export * from './process-record';
export * from './provider-failure';
export * from './runtime';
export * from './queue-outcomes';
export * from './delivery';
export * from './attempt';
