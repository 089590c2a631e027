export * from './compose-config';
export * from './compose-handler';
