export * from './faults';
export * from './provider-server';
