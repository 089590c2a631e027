export * from './opt-out-store';
