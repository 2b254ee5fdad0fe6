/** Small builders for Dify credential forms, so each provider reads like its Dify YAML. */
import type { CredentialFormSchema, FormShowOn, I18n } from '../catalog-types.js';

type FieldOptions = { required?: boolean; default?: string; placeholder?: string; showOn?: FormShowOn[] };

const i18n = (en: string): I18n => ({ en_US: en, zh_Hans: en });

function field(
  type: CredentialFormSchema['type'],
  variable: string,
  label: string,
  o: FieldOptions = {},
): CredentialFormSchema {
  return {
    variable,
    label: i18n(label),
    type,
    required: o.required ?? false,
    default: o.default ?? null,
    placeholder: o.placeholder ? i18n(o.placeholder) : null,
    show_on: o.showOn ?? [],
  };
}

export const text = (variable: string, label: string, o?: FieldOptions): CredentialFormSchema =>
  field('text-input', variable, label, o);
export const secret = (variable: string, label: string, o?: FieldOptions): CredentialFormSchema =>
  field('secret-input', variable, label, o);

export function select(
  variable: string,
  label: string,
  values: Array<string | { value: string; showOn?: FormShowOn[] }>,
  o?: FieldOptions,
): CredentialFormSchema {
  return {
    ...field('select', variable, label, o),
    options: values.map((v) =>
      typeof v === 'string'
        ? { label: i18n(v), value: v, show_on: [] }
        : { label: i18n(v.value), value: v.value, show_on: v.showOn ?? [] },
    ),
  };
}

/** Dify's `show_on` for fields that only apply to one model type of a custom model. */
export const onLlm: FormShowOn[] = [{ variable: '__model_type', value: 'llm' }];
export const onEmbedding: FormShowOn[] = [{ variable: '__model_type', value: 'text-embedding' }];

/**
 * A custom model's completion mode (chat or completion, LLMs only) and context size, as Dify's
 * customizable-model providers (ollama, openai_api_compatible) ask for them.
 */
export const modeAndContextSize = (): CredentialFormSchema[] => [
  select('mode', 'Completion mode', ['completion', 'chat'], {
    required: true,
    default: 'chat',
    showOn: onLlm,
    placeholder: 'Select completion mode',
  }),
  text('context_size', 'Model context size', {
    required: true,
    default: '4096',
    placeholder: 'Enter your Model context size',
  }),
];

export { i18n };

/** A base URL without trailing slashes. */
export function trimUrl(url: unknown): string | undefined {
  if (typeof url !== 'string' || !url.trim()) return undefined;
  return url.trim().replace(/\/+$/, '');
}

/** A credential value as a string (text inputs are strings; numbers pass through forms too). */
export function str(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() || undefined;
  if (typeof value === 'number') return String(value);
  return undefined;
}
