import type { FastifyInstance } from 'fastify';
import { loadAppConfig } from '../../../apps/model-config/index.js';
import type { AppContext } from '../../context.js';
import { HttpError } from '../../http-error.js';
import { appOf } from './end-user.js';

const appUnavailable = (): HttpError =>
  new HttpError(400, 'app_unavailable', 'App unavailable, please check your app configurations.');

/**
 * GET /parameters — what a client needs to render the app (Dify's get_parameters_from_feature_dict):
 * the features of the app's current model config and the upload limits of this server.
 */
export async function parameterRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const s = ctx.settings;
  const systemParameters = {
    image_file_size_limit: s.UPLOAD_IMAGE_FILE_SIZE_LIMIT,
    video_file_size_limit: s.UPLOAD_VIDEO_FILE_SIZE_LIMIT,
    audio_file_size_limit: s.UPLOAD_AUDIO_FILE_SIZE_LIMIT,
    file_size_limit: s.UPLOAD_FILE_SIZE_LIMIT,
    workflow_file_upload_limit: s.WORKFLOW_FILE_UPLOAD_LIMIT,
  };
  app.get('/parameters', async (request) => {
    const record = await loadAppConfig(ctx.pool, appOf(request).appId);
    // Workflow apps keep their features in a workflow, which this server does not run.
    const config = record?.config;
    if (!config) throw appUnavailable();
    return {
      opening_statement: config.opening_statement,
      suggested_questions: config.suggested_questions,
      suggested_questions_after_answer: config.suggested_questions_after_answer,
      speech_to_text: config.speech_to_text,
      text_to_speech: config.text_to_speech,
      retriever_resource: config.retriever_resource,
      annotation_reply: config.annotation_reply,
      more_like_this: config.more_like_this,
      user_input_form: config.user_input_form,
      sensitive_word_avoidance: config.sensitive_word_avoidance,
      file_upload: config.file_upload,
      system_parameters: systemParameters,
    };
  });
}
