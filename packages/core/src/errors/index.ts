export * from './app-error';
export * from './error-codes';
export * from './http';
export * from './lease-lost';
