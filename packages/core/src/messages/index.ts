export * from './types';
export * from './delivery-repository';
export * from './provider-sightings';
export * from './provider-message-owner';
