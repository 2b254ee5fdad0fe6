/**
 * Dify's app model config as `POST /console/api/apps/<id>/model-config` takes it, validated with
 * Dify's rules and defaults (core/app/app_config/**: ModelConfigManager, BasicVariablesConfigManager,
 * PromptTemplateConfigManager, DatasetConfigManager, the feature managers). Unknown keys inside a
 * section pass through (0.15 and 1.x shapes differ there); unknown top-level keys are dropped, as
 * Dify's `config_validate` filters to the keys of the app's mode.
 */
import { z } from 'zod';
import { invalidParam } from '../errors.js';

const enabled = (extra: z.ZodRawShape = {}) =>
  z.looseObject({
    enabled: z
      .boolean()
      .nullish()
      .transform((v) => v ?? false),
    ...extra,
  });
/** A feature of the app (Dify's `{enabled: …}` objects): absent means off. */
const feature = (extra: z.ZodRawShape = {}) =>
  enabled(extra)
    .nullish()
    .transform((v) => v ?? { enabled: false });

/** Dify's variable name rule (letters, digits, `_`, CJK, some emoji; not starting with a digit). */
const VARIABLE = /^(?!\d)[\u4e00-\u9fa5A-Za-z0-9_\u{1F300}-\u{1F64F}\u{1F680}-\u{1F6FF}]{1,100}$/u;

export const INPUT_TYPES = [
  'text-input',
  'paragraph',
  'select',
  'number',
  'checkbox',
  'file',
  'file-list',
  'external_data_tool',
] as const;
export type InputType = (typeof INPUT_TYPES)[number];

const FormItem = z.looseObject({
  label: z.string({ message: 'label is required in user_input_form and must be a string' }),
  variable: z
    .string({ message: 'variable is required in user_input_form and must be a string' })
    .regex(VARIABLE, 'variable in user_input_form must be a string, and cannot start with a number'),
  required: z
    .boolean()
    .nullish()
    .transform((v) => v ?? false),
  max_length: z.number().int().min(0).nullish(),
  options: z.array(z.string()).nullish(),
  default: z.unknown().optional(),
});
export type FormItem = z.output<typeof FormItem>;

const UserInputForm = z
  .array(z.record(z.string(), z.unknown()))
  .nullish()
  .transform((items, ctx) => {
    const out: Record<string, FormItem>[] = [];
    for (const [index, item] of (items ?? []).entries()) {
      const key = Object.keys(item)[0];
      if (!key || !(INPUT_TYPES as readonly string[]).includes(key)) {
        ctx.addIssue({
          code: 'custom',
          path: [index],
          message: `keys in user_input_form can only be ${INPUT_TYPES.join(', ')}`,
        });
        continue;
      }
      const parsed = FormItem.safeParse(item[key]);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        ctx.addIssue({ code: 'custom', path: [index, key, ...issue.path.map(String)], message: issue.message });
        continue;
      }
      const form = parsed.data;
      if (key === 'select') {
        form.options = form.options ?? [];
        if (form.default && !form.options.includes(String(form.default))) {
          ctx.addIssue({
            code: 'custom',
            path: [index, key, 'default'],
            message: 'default value in user_input_form must be in the options list',
          });
        }
      }
      out.push({ [key]: form });
    }
    return out;
  });

const ModelSection = z.looseObject({
  provider: z.string({ message: 'model.provider is required' }).min(1, 'model.provider is required'),
  name: z.string({ message: 'model.name is required' }).min(1, 'model.name is required'),
  mode: z
    .enum(['chat', 'completion'])
    .nullish()
    .transform((v) => v ?? 'chat'),
  completion_params: z
    .looseObject({
      stop: z
        .array(z.string())
        .max(4, 'stop sequences must be less than 4')
        .nullish()
        .transform((v) => v ?? []),
    })
    .nullish()
    .transform((v) => v ?? { stop: [] }),
});

const str = (fallback = '') =>
  z
    .string()
    .nullish()
    .transform((v) => v ?? fallback);
const obj = () =>
  z
    .looseObject({})
    .nullish()
    .transform((v) => v ?? {});

/** Every key Dify keeps, for both modes; `configKeys` picks those of a mode. */
const ModelConfigBody = z.object({
  model: ModelSection,
  user_input_form: UserInputForm,
  external_data_tools: z
    .array(z.looseObject({}))
    .nullish()
    .transform((v) => v ?? []),
  file_upload: obj(),
  prompt_type: z
    .enum(['simple', 'advanced'])
    .nullish()
    .transform((v) => v ?? 'simple'),
  pre_prompt: str(),
  chat_prompt_config: obj(),
  completion_prompt_config: obj(),
  agent_mode: z
    .looseObject({
      enabled: z.boolean().nullish(),
      tools: z.array(z.looseObject({})).nullish(),
      strategy: z.string().nullish(),
    })
    .nullish()
    .transform((v) => ({
      ...v,
      enabled: v?.enabled ?? false,
      tools: v?.tools ?? [],
      strategy: v?.strategy || 'router',
    })),
  dataset_configs: z
    .looseObject({ retrieval_model: z.string().nullish(), datasets: z.looseObject({}).nullish() })
    .nullish()
    .transform((v) => ({
      ...v,
      retrieval_model: v?.retrieval_model ?? 'single',
      datasets: v?.datasets ?? { strategy: 'router', datasets: [] },
    })),
  dataset_query_variable: z
    .string()
    .nullish()
    .transform((v) => v ?? ''),
  opening_statement: str(),
  suggested_questions: z
    .array(z.string({ message: 'Elements in suggested_questions list must be of string type' }))
    .nullish()
    .transform((v) => v ?? []),
  suggested_questions_after_answer: feature(),
  speech_to_text: feature(),
  text_to_speech: enabled({ voice: z.string().nullish(), language: z.string().nullish() })
    .nullish()
    .transform((v) => (v?.enabled ? v : { ...v, enabled: false, voice: '', language: '' })),
  retriever_resource: feature(),
  more_like_this: feature(),
  sensitive_word_avoidance: feature({ type: z.string().nullish(), config: z.looseObject({}).nullish() }).refine(
    (v) => !v.enabled || Boolean(v.type),
    {
      message: 'sensitive_word_avoidance.type is required',
      path: ['type'],
    },
  ),
});

export type ValidatedModelConfig = z.output<typeof ModelConfigBody>;

const SHARED_KEYS = [
  'model',
  'user_input_form',
  'external_data_tools',
  'file_upload',
  'prompt_type',
  'pre_prompt',
  'chat_prompt_config',
  'completion_prompt_config',
  'agent_mode',
  'dataset_configs',
  'dataset_query_variable',
  'text_to_speech',
  'sensitive_word_avoidance',
] as const;
const CHAT_KEYS = [
  'opening_statement',
  'suggested_questions',
  'suggested_questions_after_answer',
  'speech_to_text',
  'retriever_resource',
] as const;

/** The keys a mode's config keeps (ChatAppConfigManager / CompletionAppConfigManager.config_validate). */
export function configKeys(mode: 'chat' | 'completion' | 'agent-chat'): readonly string[] {
  return mode === 'completion' ? [...SHARED_KEYS, 'more_like_this'] : [...SHARED_KEYS, ...CHAT_KEYS];
}

/**
 * Validates a model config body for an app mode and fills Dify's defaults.
 * @throws AppRequestError `invalid_param` naming the field (`user_input_form.0.select.default: …`)
 */
export function validateModelConfig(
  mode: 'chat' | 'completion' | 'agent-chat',
  body: unknown,
): Partial<ValidatedModelConfig> {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw invalidParam('body: the model config must be a JSON object');
  if (!('model' in body) || !body.model) throw invalidParam('model is required');
  const result = ModelConfigBody.safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const field = issue.path.map(String).join('.');
    throw invalidParam(field && !issue.message.startsWith(field) ? `${field}: ${issue.message}` : issue.message);
  }
  const config = result.data;
  if (
    config.prompt_type === 'advanced' &&
    !Object.keys(config.chat_prompt_config).length &&
    !Object.keys(config.completion_prompt_config).length
  ) {
    throw invalidParam('chat_prompt_config or completion_prompt_config is required when prompt_type is advanced');
  }
  const picked: Record<string, unknown> = {};
  // configKeys lists keys of ValidatedModelConfig only.
  for (const key of configKeys(mode)) picked[key] = config[key as keyof ValidatedModelConfig];
  // Dify's filter yields exactly these keys; the cast names that shape.
  return picked as Partial<ValidatedModelConfig>;
}
