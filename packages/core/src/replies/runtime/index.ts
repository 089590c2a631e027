export * from './reply-config';
export * from './reply-handler';
