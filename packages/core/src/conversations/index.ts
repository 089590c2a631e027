export * from './types';
export * from './conversation-repository';
export * from './conversation-entries';
