/**
 * Errors over HTTP: `{"error":{"code","message","hint"}}` with the status of
 * the error's class, as the CLI maps the same code to an exit code
 * (docs/api.md, "Errors").
 */
import { DjcError, type DjcErrorCode } from '@djc/core';

export interface ErrorBody {
  error: { code: string; message: string; hint?: string; details?: unknown };
}

const STATUS: Partial<Record<DjcErrorCode, number>> = {
  USAGE: 400,
  CONFIG_INVALID: 400,
  INPUT_INVALID: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  ILLEGAL_TRANSITION: 409,
  BACKEND_UNAVAILABLE: 503,
};

export function httpStatusFor(code: string): number {
  return STATUS[code as DjcErrorCode] ?? 500;
}

export function errorBody(code: string, message: string, hint?: string, details?: unknown): ErrorBody {
  return { error: { code, message, ...(hint === undefined ? {} : { hint }), ...(details === undefined ? {} : { details }) } };
}

/** A DjcError as its status and envelope; anything else is a bug (500, INTERNAL, no internals shown). */
export function toHttpError(e: unknown): { status: number; body: ErrorBody } {
  if (e instanceof DjcError) return { status: httpStatusFor(e.code), body: errorBody(e.code, e.message, e.hint, e.details) };
  return { status: 500, body: errorBody('INTERNAL', 'internal error (a bug); the coordinator log has the details', 'report it with the log lines of this request') };
}
