/**
 * SFU configuration: defaults documented field by field, overridable from the
 * environment (`loadConfig(process.env)`) or programmatically (tests).
 */
import os from 'node:os';

export interface SfuConfig {
  /** HTTP + signaling port. Env PORT. Default 3000; 0 picks a free port. */
  port: number;
  /** Interface the HTTP server binds. Env VISAGE_HOST. Default '0.0.0.0'. */
  host: string;
  /** HS256 secret for join tokens. Env VISAGE_SECRET. Required unless `dev`. */
  secret: string;
  /** Development mode: allows a built-in secret. `--dev` flag or VISAGE_DEV=1. */
  dev: boolean;
  /** mediasoup workers to run. Env VISAGE_WORKERS. Default: number of cores. */
  numWorkers: number;
  /** IP the WebRTC transports listen on. Env VISAGE_LISTEN_IP. Default 127.0.0.1. */
  listenIp: string;
  /** IP announced in ICE candidates (public IP behind NAT). Env VISAGE_ANNOUNCED_IP. Default: none. */
  announcedIp: string | undefined;
  /** RTC port range for the workers. Env VISAGE_RTC_MIN_PORT / VISAGE_RTC_MAX_PORT. */
  rtcMinPort: number;
  rtcMaxPort: number;
  /** Largest single SCTP message (bytes): an embedding chunk must fit. Default 262144. */
  maxSctpMessageSize: number;
  /** Per-socket request rate: sustained requests/s and burst. */
  rateLimit: { perSecond: number; burst: number };
  /** Peers per room. Env VISAGE_MAX_PEERS. Default 50. */
  maxPeersPerRoom: number;
  /**
   * How long a peer whose connection dropped (or who left to rejoin) keeps its place before the
   * others are told it left, in ms: back within it, they see it join again and keep its tile.
   * An explicit leave is announced at once. Env VISAGE_DEPARTURE_GRACE_MS. Default 10 000; 0: at once.
   */
  departureGraceMs: number;
  /** Folder of static files served at / (the demo app). Optional. */
  staticDir: string | undefined;
  /** pino log level. Env LOG_LEVEL. Default 'info'. */
  logLevel: string;
}

/** Secret used only with `--dev`; tokens signed with it are worthless elsewhere. */
export const DEV_SECRET = 'visage-dev-secret-do-not-use-in-production';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

function int(env: Record<string, string | undefined>, name: string, def: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be an integer in [${min}, ${max}], got ${JSON.stringify(raw)}`);
  }
  return n;
}

export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  argv: readonly string[] = [],
): SfuConfig {
  const dev = argv.includes('--dev') || env.VISAGE_DEV === '1';
  let secret = env.VISAGE_SECRET ?? '';
  if (!secret) {
    if (!dev) throw new ConfigError('VISAGE_SECRET is not set: set it, or start with --dev for local development');
    secret = DEV_SECRET;
  }
  if (secret.length < 16 && !dev) throw new ConfigError('VISAGE_SECRET must be at least 16 characters');
  const rtcMinPort = int(env, 'VISAGE_RTC_MIN_PORT', 40000, 1024, 65535);
  const rtcMaxPort = int(env, 'VISAGE_RTC_MAX_PORT', 49999, 1024, 65535);
  if (rtcMaxPort < rtcMinPort) throw new ConfigError('VISAGE_RTC_MAX_PORT must be ≥ VISAGE_RTC_MIN_PORT');
  return {
    port: int(env, 'PORT', 3000, 0, 65535),
    host: env.VISAGE_HOST || '0.0.0.0',
    secret,
    dev,
    numWorkers: int(env, 'VISAGE_WORKERS', Math.max(1, os.availableParallelism()), 1, 256),
    listenIp: env.VISAGE_LISTEN_IP || '127.0.0.1',
    announcedIp: env.VISAGE_ANNOUNCED_IP || undefined,
    rtcMinPort,
    rtcMaxPort,
    maxSctpMessageSize: 262_144,
    rateLimit: {
      perSecond: int(env, 'VISAGE_RATE_PER_SECOND', 50, 1, 100_000),
      burst: int(env, 'VISAGE_RATE_BURST', 100, 1, 100_000),
    },
    maxPeersPerRoom: int(env, 'VISAGE_MAX_PEERS', 50, 1, 10_000),
    departureGraceMs: int(env, 'VISAGE_DEPARTURE_GRACE_MS', 10_000, 0, 300_000),
    staticDir: env.VISAGE_STATIC_DIR || undefined,
    logLevel: env.LOG_LEVEL || 'info',
  };
}
