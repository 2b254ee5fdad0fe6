/**
 * The OpenAI-compatible door's translation: OpenAI requests → an app's generation (transcript,
 * prompt), Dify events → OpenAI answers and chunks, Dify errors → OpenAI's error shape. Pure: the
 * server's openai-door service and routes do the I/O.
 */
export {
  answerDocument,
  collectAnswer,
  DONE_FRAME,
  firstEventChecked,
  PING_FRAME,
  streamEncoder,
  type AnswerKind,
  type AnswerMeta,
  type OpenAiUsage,
} from './chunks.js';
export { base64Embedding, embeddingsDocument, modelObject, type EncodingFormat } from './embeddings.js';
export { openAiErrorBody, openAiStatus, reshapeErrorPayload, type DifyError, type OpenAiErrorBody } from './errors.js';
export {
  coveredTurns,
  readPrompt,
  readTranscript,
  type OpenAiContentPart,
  type OpenAiMessage,
  type Transcript,
} from './transcript.js';
