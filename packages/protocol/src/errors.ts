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
  /** A codec packet, embedding container or tracks file could not be decoded (see DecodeError.reason). */
  DecodeFailed: 'decode_failed',
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

/** Why a packet, container or chunk was rejected. Values are stable strings. */
export const DecodeErrorReason = {
  /** Fewer bytes than the structure needs. */
  Truncated: 'truncated',
  /** Wrong magic bytes. */
  BadMagic: 'bad_magic',
  /** Format version this build does not understand. */
  UnsupportedVersion: 'unsupported_version',
  /** Codec id (basis version) this build does not ship. */
  UnknownCodec: 'unknown_codec',
  /** A field holds a value outside its allowed range. */
  InvalidField: 'invalid_field',
  /** More bytes than the structure allows (size cap, trailing garbage). */
  TooLarge: 'too_large',
  /** The content hash does not match. */
  BadHash: 'bad_hash',
  /** A section marked mandatory has a type this build does not know. */
  UnknownMandatorySection: 'unknown_mandatory_section',
  /** The payload needs state the decoder lacks (e.g. no neutral shape). */
  MissingReference: 'missing_reference',
  /** Malformed text input (tracks files). */
  Malformed: 'malformed',
} as const;
export type DecodeErrorReason = (typeof DecodeErrorReason)[keyof typeof DecodeErrorReason];

/** Typed error thrown by every decoder in this package for bad input bytes. */
export class DecodeError extends VisageError {
  readonly reason: DecodeErrorReason;
  constructor(reason: DecodeErrorReason, message: string, options?: { cause?: unknown }) {
    super(ErrorCode.DecodeFailed, `${reason}: ${message}`, options);
    this.name = 'DecodeError';
    this.reason = reason;
  }
  static truncated(what: string): DecodeError {
    return new DecodeError(DecodeErrorReason.Truncated, `${what} is truncated`);
  }
  static invalid(what: string): DecodeError {
    return new DecodeError(DecodeErrorReason.InvalidField, what);
  }
}
