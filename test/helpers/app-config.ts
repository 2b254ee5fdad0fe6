import { configDict, type AppModelConfigDict } from '../../src/apps/model-config/index.js';
import { validateModelConfig } from '../../src/apps/model-config/schema.js';

/** An app model config as the generators read it: `body` over a gpt-4o-mini model, validated as the console does. */
export function appConfig(body: Record<string, unknown>, mode: 'chat' | 'completion' = 'chat'): AppModelConfigDict {
  const validated = validateModelConfig(mode, {
    model: { provider: 'openai', name: 'gpt-4o-mini', mode: 'chat', completion_params: {} },
    ...body,
  });
  return configDict({
    configs: validated,
    model: null,
    pre_prompt: null,
    prompt_type: null,
    opening_statement: null,
    suggested_questions: null,
    user_input_form: null,
    dataset_configs: null,
    file_upload: null,
    more_like_this: null,
  });
}
