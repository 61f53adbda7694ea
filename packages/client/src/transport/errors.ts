/**
 * Errors the SDK surfaces to apps: one class, a closed set of codes, a clear message.
 */
export const ClientErrorCode = {
  /** The SFU refused the join token (missing, expired, forged, other room). */
  Unauthorized: 'unauthorized',
  /** The SFU could not be reached. */
  Unreachable: 'unreachable',
  /** A request got no answer in time. */
  Timeout: 'timeout',
  /** The SFU answered a request with an error (its code is in `serverCode`). */
  Rejected: 'rejected',
  /** The connection is closed. */
  Closed: 'closed',
  /** Camera or microphone permission denied. */
  PermissionDenied: 'permission_denied',
  /** No camera or microphone. */
  NoDevice: 'no_device',
  /** This browser cannot run Visage (no WebRTC data channels, no WebAssembly…). */
  Unsupported: 'unsupported',
} as const;
export type ClientErrorCode = (typeof ClientErrorCode)[keyof typeof ClientErrorCode];

export class VisageClientError extends Error {
  readonly code: ClientErrorCode;
  /** For `rejected`: the server's error code. */
  readonly serverCode: string | undefined;

  constructor(code: ClientErrorCode, message: string, serverCode?: string) {
    super(message);
    this.name = 'VisageClientError';
    this.code = code;
    this.serverCode = serverCode;
  }

  static unauthorized(reason?: string): VisageClientError {
    return new VisageClientError(
      ClientErrorCode.Unauthorized,
      `the server refused the join token${reason ? ` (${reason})` : ''}: ask for a new invitation link`,
    );
  }
  static unreachable(url: string, detail?: string): VisageClientError {
    return new VisageClientError(
      ClientErrorCode.Unreachable,
      `cannot reach the Visage server at ${url}${detail ? ` (${detail})` : ''}`,
    );
  }
  static timeout(what: string, ms: number): VisageClientError {
    return new VisageClientError(ClientErrorCode.Timeout, `${what}: no answer within ${ms} ms`);
  }
}
