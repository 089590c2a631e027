export * from './channel-adapter';
export * from './failure';
export * from './process-record';
