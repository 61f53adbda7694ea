export { createSfu, type Sfu } from './server.ts';
export { loadConfig, DEV_SECRET, ConfigError, type SfuConfig } from './config.ts';
export { signToken, verifyToken, TokenError, type TokenOptions } from './auth.ts';
export { CONTENT_SECURITY_POLICY } from './http.ts';
