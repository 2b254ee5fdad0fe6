/**
 * A console request the runtime refuses: bad credentials input, an unknown provider or credential.
 * Routes answer `invalid_param` as Dify's ValueError (400) and `not_found` as 404.
 */
export class ModelConfigError extends Error {
  readonly code: 'invalid_param' | 'not_found';
  readonly status: number;
  constructor(code: 'invalid_param' | 'not_found', message: string) {
    super(message);
    this.name = 'ModelConfigError';
    this.code = code;
    this.status = code === 'not_found' ? 404 : 400;
  }
}
