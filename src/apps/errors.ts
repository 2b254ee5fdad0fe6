/**
 * An error of the apps domain that a client caused or must hear about, with Dify's service API code
 * and status (api/controllers/service_api/app/error.py). Routes answer it as `{code, message, status}`;
 * inside a stream it becomes an `error` event.
 */
export class AppRequestError extends Error {
  readonly code: string;
  readonly status: number;
  /** A model failure's kind (the model runtime's InvokeErrorKind), when it was one. */
  readonly kind?: string;

  constructor(code: string, message: string, status = 400, kind?: string) {
    super(message);
    this.name = 'AppRequestError';
    this.code = code;
    this.status = status;
    if (kind) this.kind = kind;
  }
}

/** A request value that breaks a rule (Dify raises ValueError → 400 `invalid_param`). */
export const invalidParam = (message: string): AppRequestError => new AppRequestError('invalid_param', message);

export const appUnavailable = (): AppRequestError =>
  new AppRequestError('app_unavailable', 'App unavailable, please check your app configurations.');

export const notChatApp = (): AppRequestError =>
  new AppRequestError('not_chat_app', 'Please check if your app mode matches the right API route.');

export const notCompletionApp = (): AppRequestError =>
  new AppRequestError('not_completion_app', 'Please check if your Completion app mode matches the right API route.');

export const providerNotInitialized = (detail?: string): AppRequestError =>
  new AppRequestError(
    'provider_not_initialize',
    detail ??
      'No valid model provider credentials found. Please go to Settings -> Model Provider to complete your provider credentials.',
  );

export const conversationNotFound = (): AppRequestError =>
  new AppRequestError('not_found', 'Conversation Not Exists.', 404);

export const conversationCompleted = (): AppRequestError =>
  new AppRequestError('conversation_completed', 'The conversation has ended. Please start a new conversation.');
