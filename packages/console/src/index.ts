export * from './console-target';
export * from './console-server';
