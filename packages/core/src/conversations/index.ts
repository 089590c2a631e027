export * from './types';
export * from './conversation-repository';
