/**
 * One error base class for the whole project, with a code from a closed set.
 * Server and client both map these codes to user-facing messages.
 */
export const ErrorCode = {
  /** The signaling payload failed schema validation. */
  InvalidRequest: 'invalid_request',
  /** The payload is larger than the per-event cap. */
  PayloadTooLarge: 'payload_too_large',
  /** The socket sent more requests than its rate limit allows. */
  RateLimited: 'rate_limited',
  /** Missing, expired, forged or wrong-room join token. */
  Unauthorized: 'unauthorized',
  /** The token does not grant this action (publish/subscribe/impersonate). */
  Forbidden: 'forbidden',
  /** The referenced transport/producer/peer does not exist (or is in another room). */
  NotFound: 'not_found',
  /** The request came in the wrong state (e.g. produce before join). */
  InvalidState: 'invalid_state',
  /** Unknown event name. */
  UnknownEvent: 'unknown_event',
  /** Something failed on the server side; the connection stays up. */
  Internal: 'internal',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class VisageError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'VisageError';
    this.code = code;
  }

  static invalidRequest(message: string): VisageError {
    return new VisageError(ErrorCode.InvalidRequest, message);
  }
  static notFound(what: string, id: string): VisageError {
    return new VisageError(ErrorCode.NotFound, `${what} ${JSON.stringify(id)} not found`);
  }
  static invalidState(message: string): VisageError {
    return new VisageError(ErrorCode.InvalidState, message);
  }
  static forbidden(message: string): VisageError {
    return new VisageError(ErrorCode.Forbidden, message);
  }

  toWire(): { code: ErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}
