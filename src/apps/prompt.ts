/**
 * Prompt assembly for easy-UI apps (Dify's SimplePromptTransform / AdvancedPromptTransform, in
 * short): `{{var}}` from the inputs into pre_prompt, the conversation's history, then the query.
 *
 * - chat model: system = pre_prompt (when there is a query), history as user/assistant turns, user =
 *   query (or the pre_prompt itself when the query is empty: completion apps);
 * - completion model: one prompt text from Dify's templates (`Human:` / `Assistant:` turns).
 */
import type { LlmMode, PromptContent, PromptMessage } from '../model-runtime/types.js';
import type { Inputs } from './inputs.js';
import type { AppModelConfigDict } from './model-config/index.js';

/** `{{name}}` (Dify's variable rule) and the special `{{#histories#}}`, `{{#query#}}`, `{{#context#}}`. */
const VARIABLE = /\{\{([a-zA-Z_][a-zA-Z0-9_]{0,29}|#histories#|#query#|#context#|#pre_prompt#)\}\}/g;

/** A value's own `{{x}}` become `{x}`, so an input cannot inject another variable (Dify's rule). */
const neutralize = (text: string): string => text.replace(VARIABLE, (_m, key: string) => `{${key}}`);

/** Fills `{{var}}` from `values`; an unknown variable stays as written. */
export function renderTemplate(template: string, values: Record<string, unknown>): string {
  return template.replace(VARIABLE, (match, key: string) => {
    if (!(key in values)) return match;
    const value = values[key];
    return value === null || value === undefined
      ? ''
      : neutralize(typeof value === 'string' ? value : JSON.stringify(value));
  });
}

/** One earlier exchange of the conversation. */
export interface HistoryTurn {
  query: string;
  answer: string;
}

export interface PromptInput {
  appMode: 'chat' | 'completion';
  config: AppModelConfigDict;
  inputs: Inputs;
  query: string;
  history: HistoryTurn[];
  /** Images for vision models (http(s) or data: URLs). */
  images?: string[];
  /** What the app's knowledge retrieved for the query (`{{#context#}}`); empty or absent: none. */
  context?: string;
}

export interface Prompt {
  mode: LlmMode;
  messages: PromptMessage[];
  stop: string[];
}

/** Dify's simple-mode context prompt (prompt_templates common_chat / common_completion), put before pre_prompt. */
const contextPrompt = (context: string | undefined): string =>
  context
    ? `Use the following context as your learned knowledge, inside <context></context> XML tags.\n\n<context>\n${context}\n</context>\n\nWhen answer to user:\n- If you don't know, just say that you don't know.\n- If you don't know when you are not sure, ask for clarification.\nAvoid mentioning that you obtained the information from the context.\nAnd answer according to the language of the user's question.\n\n`
    : '';

const CHAT_ON_COMPLETION =
  '{{#pre_prompt#}}\nHere are the chat histories between human and assistant, inside <histories></histories> XML tags.\n\n<histories>\n{{#histories#}}\n</histories>\n\n\nHuman: {{#query#}}\n\nAssistant: ';

function userContent(text: string, images: string[] | undefined): PromptMessage['content'] {
  if (!images?.length) return text;
  return [{ type: 'text', text }, ...images.map((url): PromptContent => ({ type: 'image', url }))];
}

function advancedChatMessages(input: PromptInput, specials: Record<string, string>): PromptMessage[] | undefined {
  const template = input.config.chat_prompt_config.prompt;
  if (!Array.isArray(template) || !template.length) return undefined;
  const messages: PromptMessage[] = [];
  let usedQuery = false;
  // Dify's chat_prompt_config.prompt: [{role, text}]; each field is read defensively below.
  for (const item of template as { role?: string; text?: string }[]) {
    const text = item.text ?? '';
    if (text.includes('{{#query#}}')) usedQuery = true;
    const role = item.role === 'assistant' || item.role === 'user' ? item.role : 'system';
    messages.push({ role, content: renderTemplate(text, { ...input.inputs, ...specials }) });
  }
  for (const turn of input.history)
    messages.push({ role: 'user', content: turn.query }, { role: 'assistant', content: turn.answer });
  if (input.query && !usedQuery) messages.push({ role: 'user', content: userContent(input.query, input.images) });
  return messages;
}

/** The messages sent to the model for an app's config, inputs, history and query. */
export function assemblePrompt(input: PromptInput): Prompt {
  const model = input.config.model;
  const mode: LlmMode = model?.mode === 'completion' ? 'completion' : 'chat';
  const stop = model?.completion_params.stop ?? [];
  const specials = { '#context#': neutralize(input.context ?? ''), '#query#': input.query, '#histories#': '' };
  const ownPrePrompt = renderTemplate(input.config.pre_prompt ?? '', { ...input.inputs, ...specials });
  // Simple mode puts the context before pre_prompt unless pre_prompt places it with {{#context#}}.
  const prePrompt = (input.config.pre_prompt ?? '').includes('{{#context#}}')
    ? ownPrePrompt
    : contextPrompt(input.context) + ownPrePrompt;
  if (mode === 'chat') {
    if (input.config.prompt_type === 'advanced') {
      const messages = advancedChatMessages(input, specials);
      if (messages) return { mode, messages, stop };
    }
    const messages: PromptMessage[] = [];
    if (prePrompt && input.query) messages.push({ role: 'system', content: prePrompt });
    for (const turn of input.history)
      messages.push({ role: 'user', content: turn.query }, { role: 'assistant', content: turn.answer });
    messages.push({ role: 'user', content: userContent(input.query || prePrompt, input.images) });
    return { mode, messages, stop };
  }
  // completion_prompt_config.prompt is Dify's {text}; a missing text means no advanced template.
  const advanced =
    input.config.prompt_type === 'advanced'
      ? (input.config.completion_prompt_config.prompt as { text?: string } | undefined)?.text
      : undefined;
  if (input.appMode === 'chat') {
    const histories = input.history.map((turn) => `Human: ${turn.query}\nAssistant: ${turn.answer}`).join('\n');
    const text = renderTemplate(advanced ?? CHAT_ON_COMPLETION, {
      ...input.inputs,
      '#pre_prompt#': prePrompt,
      '#context#': specials['#context#'],
      '#query#': input.query,
      '#histories#': histories,
    });
    return {
      mode,
      messages: [{ role: 'user', content: userContent(text, input.images) }],
      stop: stop.length ? stop : ['Human:'],
    };
  }
  const base = advanced ? renderTemplate(advanced, { ...input.inputs, ...specials }) : prePrompt;
  const text =
    input.query && !(advanced ?? '').includes('{{#query#}}') ? (base ? `${base}\n${input.query}` : input.query) : base;
  return { mode, messages: [{ role: 'user', content: userContent(text, input.images) }], stop };
}
