// Stack-free: fixtures and in-memory fakes, for unit tests (`pnpm test:unit`). The local stack's helpers are in ./stack.
export * from './fixtures';
export * from './fakes';
