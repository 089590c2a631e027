export * from './stack';
export * from './provider-servers';
export * from './demo/demo-data';
export type { QueueEvent } from './processes/fauxqs';
