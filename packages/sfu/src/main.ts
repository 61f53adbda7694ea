/**
 * npm run sfu [-- --dev]: starts the SFU on PORT (default 3000).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import pino from 'pino';
import { ConfigError, loadConfig } from './config.ts';
import { createSfu } from './server.ts';

const logger = pino({ level: process.env.LOG_LEVEL || 'info' });

async function main(): Promise<void> {
  const config = loadConfig(process.env, process.argv.slice(2));
  if (!config.staticDir) {
    const demo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../client/dist');
    if (existsSync(demo)) config.staticDir = demo;
  }
  if (config.dev) logger.warn('development mode: join tokens signed with the built-in dev secret are accepted');
  const sfu = await createSfu(config, logger);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    sfu.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    logger.fatal(err.message);
    process.exit(2);
  }
  logger.fatal({ err }, 'sfu failed to start');
  process.exit(1);
});
