/**
 * An error a route or hook answers with: Dify's JSON error body `{code, message, status}`.
 * `code` is Dify's snake_case code (`invalid_param`, `unauthorized`, `not_found`…).
 */
export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Record<string, string>;

  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
    this.headers = headers;
  }

  toJSON(): { code: string; message: string; status: number } {
    return { code: this.code, message: this.message, status: this.status };
  }
}

export const badRequest = (message: string, code = 'invalid_param'): HttpError => new HttpError(400, code, message);
export const unauthorized = (message = 'Unauthorized.'): HttpError => new HttpError(401, 'unauthorized', message);
export const forbidden = (message: string, code = 'forbidden'): HttpError => new HttpError(403, code, message);
export const notFound = (message: string, code = 'not_found'): HttpError => new HttpError(404, code, message);
