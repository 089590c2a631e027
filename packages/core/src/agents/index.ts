export * from './agent-message';
export * from './conversation-list';
export * from './hand-back';
