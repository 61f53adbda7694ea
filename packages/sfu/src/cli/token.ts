/**
 * npm run token -- --room R --peer P [--ttl 3600] [--name N] [--no-publish] [--no-subscribe] [--impersonate]
 * Prints a join token signed with VISAGE_SECRET (or the dev secret with --dev).
 */
import { parseArgs } from 'node:util';
import { signToken } from '../auth.ts';
import { ConfigError, loadConfig } from '../config.ts';

const USAGE =
  'usage: npm run token -- --room <room> --peer <peer-id> [--name <display name>] [--ttl <seconds>] ' +
  '[--no-publish] [--no-subscribe] [--impersonate] [--dev]';

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        room: { type: 'string' },
        peer: { type: 'string' },
        name: { type: 'string' },
        ttl: { type: 'string', default: '3600' },
        'no-publish': { type: 'boolean', default: false },
        'no-subscribe': { type: 'boolean', default: false },
        impersonate: { type: 'boolean', default: false },
        dev: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    }));
  } catch (err) {
    throw new ConfigError(`${(err as Error).message}\n${USAGE}`);
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (!values.room || !values.peer) throw new ConfigError(`--room and --peer are required\n${USAGE}`);
  const ttl = Number(values.ttl);
  if (!Number.isInteger(ttl) || ttl <= 0 || ttl > 31 * 24 * 3600) {
    throw new ConfigError(`--ttl must be a whole number of seconds in (0, 2678400], got ${values.ttl}`);
  }
  const config = loadConfig(process.env, values.dev ? ['--dev'] : []);
  const token = await signToken(config.secret, {
    room: values.room,
    peer: values.peer,
    name: values.name ?? values.peer,
    ttlSeconds: ttl,
    publish: !values['no-publish'],
    subscribe: !values['no-subscribe'],
    impersonate: values.impersonate,
  });
  console.log(token);
}

main().catch((err: unknown) => {
  const e = err as Error & { issues?: { path: unknown[]; message: string }[] };
  const detail = e.issues ? e.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') : e.message;
  console.error(`token: ${detail}`);
  process.exit(2);
});
