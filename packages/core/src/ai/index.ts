export * from './openai-content';
