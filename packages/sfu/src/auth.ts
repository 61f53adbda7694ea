/**
 * Join tokens: HS256 JWTs carrying room, peer id, display name, expiry and rights.
 */
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { tokenClaims, type TokenClaims } from '@visage/protocol';

const ISSUER = 'visage';

export interface TokenOptions {
  room: string;
  peer: string;
  name?: string;
  /** Lifetime in seconds. Default 3600. */
  ttlSeconds?: number;
  publish?: boolean;
  subscribe?: boolean;
  impersonate?: boolean;
}

export type TokenFailure = 'missing' | 'malformed' | 'bad_signature' | 'expired' | 'invalid_claims';

export class TokenError extends Error {
  readonly reason: TokenFailure;
  constructor(reason: TokenFailure, message: string) {
    super(message);
    this.name = 'TokenError';
    this.reason = reason;
  }
}

function key(secret: string): Uint8Array {
  return new TextEncoder().encode(secret);
}

export async function signToken(secret: string, options: TokenOptions): Promise<string> {
  const claims = tokenClaims.parse({
    room: options.room,
    peer: options.peer,
    name: options.name ?? options.peer,
    publish: options.publish ?? true,
    subscribe: options.subscribe ?? true,
    impersonate: options.impersonate ?? false,
  });
  const ttl = options.ttlSeconds ?? 3600;
  if (!Number.isFinite(ttl) || ttl <= 0) throw new TypeError('ttlSeconds must be a positive number');
  return new SignJWT({ ...claims })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(ISSUER)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + Math.round(ttl))
    .sign(key(secret));
}

export async function verifyToken(secret: string, token: unknown): Promise<TokenClaims> {
  if (typeof token !== 'string' || token.length === 0) throw new TokenError('missing', 'no join token');
  if (token.length > 4096) throw new TokenError('malformed', 'token too long');
  let payload: unknown;
  try {
    ({ payload } = await jwtVerify(token, key(secret), { issuer: ISSUER, algorithms: ['HS256'] }));
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) throw new TokenError('expired', 'token expired');
    if (err instanceof joseErrors.JWSSignatureVerificationFailed) throw new TokenError('bad_signature', 'bad token signature');
    throw new TokenError('malformed', `invalid token: ${(err as Error).message}`);
  }
  const parsed = tokenClaims.safeParse(payload);
  if (!parsed.success) throw new TokenError('invalid_claims', 'token claims invalid');
  return parsed.data;
}
