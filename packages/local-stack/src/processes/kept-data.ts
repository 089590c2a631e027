import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProviderServers, ProviderSnapshot } from '../provider-servers/provider-server';

/** Where a stack that keeps its data keeps each part of it. */
export const dataFolders = (dataDir: string) => {
  mkdirSync(join(dataDir, 'dynamodb'), { recursive: true });
  mkdirSync(join(dataDir, 'queues'), { recursive: true });
  return {
    dynamodb: join(dataDir, 'dynamodb'),
    queues: join(dataDir, 'queues'),
    secrets: join(dataDir, 'secrets.json'),
    providers: join(dataDir, 'providers.json'),
  };
};

/**
 * The local providers' state, read back at start and written every 2 s while it changes and at
 * stop (a kill -9 loses at most the last 2 s of it). Returns the stopper that writes it last.
 */
export const keepProviderState = (providers: ProviderServers, file: string): (() => Promise<void>) => {
  if (existsSync(file)) providers.restore(JSON.parse(readFileSync(file, 'utf8')) as ProviderSnapshot);
  let written = '';
  const save = () => {
    const text = JSON.stringify(providers.snapshot());
    if (text === written) return;
    writeFileSync(`${file}.tmp`, text);
    renameSync(`${file}.tmp`, file);
    written = text;
  };
  const timer = setInterval(save, 2000);
  timer.unref();
  return async () => {
    clearInterval(timer);
    save();
  };
};
