import { GraphQLError } from 'graphql';
import { registerEnumType } from 'type-graphql';

/**
 * Stable codes of expected business failures, returned in a payload's `errors` list. Clients
 * switch on the code, never on the message. One enum for the whole API, grouped by domain.
 */
export enum UserErrorCode {
  // input
  INVALID_INPUT = 'INVALID_INPUT',
  // identity
  INVALID_CREDENTIALS = 'INVALID_CREDENTIALS',
  EMAIL_TAKEN = 'EMAIL_TAKEN',
  WEAK_PASSWORD = 'WEAK_PASSWORD',
  INVALID_REFRESH_TOKEN = 'INVALID_REFRESH_TOKEN',
  REFRESH_TOKEN_REUSED = 'REFRESH_TOKEN_REUSED',
  USER_NOT_FOUND = 'USER_NOT_FOUND',
  LAST_ADMIN = 'LAST_ADMIN',
}

registerEnumType(UserErrorCode, {
  name: 'UserErrorCode',
  description: 'Stable code of an expected failure reported in a mutation payload.',
  valuesConfig: {
    INVALID_INPUT: { description: 'A field is malformed or out of range; `field` names it.' },
    INVALID_CREDENTIALS: { description: 'Wrong email or password (never says which).' },
    EMAIL_TAKEN: { description: 'Another account uses this email.' },
    WEAK_PASSWORD: { description: 'The password breaks the password rules (at least 10 characters, not the email).' },
    INVALID_REFRESH_TOKEN: { description: 'The refresh token is unknown, expired or its session has ended.' },
    REFRESH_TOKEN_REUSED: { description: 'The refresh token was already used; its whole session family is now revoked.' },
    USER_NOT_FOUND: { description: 'No user with this ID.' },
    LAST_ADMIN: { description: 'The change would leave the platform without an ADMIN.' },
  },
});

export interface UserErrorShape {
  code: UserErrorCode;
  field?: string[];
  message: string;
}

/**
 * Thrown by services for an expected failure; resolvers turn it into payload `errors`. Throwing
 * (rather than returning) rolls back any transaction in progress, so a failed mutation changes
 * nothing.
 */
export class Failure extends Error {
  readonly errors: UserErrorShape[];
  constructor(code: UserErrorCode, message: string, field?: string | string[]);
  constructor(errors: UserErrorShape[]);
  constructor(codeOrErrors: UserErrorCode | UserErrorShape[], message?: string, field?: string | string[]) {
    const errors = Array.isArray(codeOrErrors)
      ? codeOrErrors
      : [{ code: codeOrErrors, message: message!, field: field === undefined ? undefined : Array.isArray(field) ? field : [field] }];
    super(errors.map((e) => e.message).join('; '));
    this.name = 'Failure';
    this.errors = errors;
  }
}

/** Collects field problems, then throws them together. */
export class Problems {
  private readonly list: UserErrorShape[] = [];
  add(code: UserErrorCode, message: string, field: string | string[]): this {
    this.list.push({ code, message, field: Array.isArray(field) ? field : [field] });
    return this;
  }
  get empty(): boolean {
    return this.list.length === 0;
  }
  throwIfAny(): void {
    if (this.list.length > 0) throw new Failure(this.list);
  }
}

/** Codes of thrown GraphQL errors (extensions.code) that reach clients unmasked. */
export const PUBLIC_ERROR_CODES = new Set([
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'BAD_USER_INPUT',
  'RATE_LIMITED',
  'QUERY_TOO_COMPLEX',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
]);

export class UnauthenticatedError extends GraphQLError {
  constructor(message = 'Sign in to do this', httpStatus?: number) {
    super(message, { extensions: { code: 'UNAUTHENTICATED', ...(httpStatus ? { http: { status: httpStatus } } : {}) } });
  }
}

export class ForbiddenError extends GraphQLError {
  constructor(message = 'You may not do this') {
    super(message, { extensions: { code: 'FORBIDDEN' } });
  }
}

export class NotFoundError extends GraphQLError {
  constructor(message = 'Not found') {
    super(message, { extensions: { code: 'NOT_FOUND' } });
  }
}

export class BadInputError extends GraphQLError {
  constructor(message: string, field?: string) {
    super(message, { extensions: { code: 'BAD_USER_INPUT', ...(field ? { field } : {}) } });
  }
}

export class RateLimitedError extends GraphQLError {
  constructor(retryAfterSeconds: number) {
    super(`Too many attempts; try again in ${retryAfterSeconds} s`, {
      extensions: { code: 'RATE_LIMITED', retryAfterSeconds },
    });
  }
}

export class QueryTooComplexError extends GraphQLError {
  constructor(message: string) {
    super(message, { extensions: { code: 'QUERY_TOO_COMPLEX' } });
  }
}
