export * from './types';
export * from './thread-repository';
export * from './compose-record';
export * from './compose-attempt';
export * from './runtime';
