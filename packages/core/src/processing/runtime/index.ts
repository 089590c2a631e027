export * from './processor-config';
export * from './processor-dependencies';
export * from './channel-handler';
