export * from './retention';
export * from './types';
export * from './company-schema';
export * from './company-repository';
export * from './onboarding';
export * from './cached-company-repository';
export * from './api-key-binding';
export * from './sender-directory';
