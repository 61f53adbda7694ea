/** Starts a real SFU (real mediasoup worker) in-process for tests, on a free port. */
import pino from 'pino';
import { createSfu, loadConfig, signToken, DEV_SECRET, type Sfu, type TokenOptions } from '@visage/sfu';

export interface TestSfu extends Sfu {
  token(options: TokenOptions): Promise<string>;
}

export async function startTestSfu(env: Record<string, string> = {}): Promise<TestSfu> {
  const config = loadConfig(
    { PORT: '0', VISAGE_HOST: '127.0.0.1', VISAGE_WORKERS: '1', VISAGE_SECRET: DEV_SECRET, ...env },
    ['--dev'],
  );
  const sfu = await createSfu(config, pino({ level: process.env.LOG_LEVEL ?? 'warn' }));
  return Object.assign(sfu, { token: (options: TokenOptions) => signToken(config.secret, options) });
}
