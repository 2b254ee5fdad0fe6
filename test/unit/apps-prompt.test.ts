import { describe, expect, it } from 'vitest';
import { appConfig } from '../helpers/app-config.js';
import { prepareInputs } from '../../src/apps/inputs.js';
import { fitHistory } from '../../src/apps/memory.js';
import { assemblePrompt, renderTemplate } from '../../src/apps/prompt.js';
import type { PromptMessage } from '../../src/model-runtime/types.js';

const config = appConfig;

/** A word counter standing in for the tokenizer: memory arithmetic, not BPE, is under test. */
const words = (input: string | PromptMessage[]): number =>
  typeof input === 'string'
    ? input.split(/\s+/).filter(Boolean).length
    : input.reduce((n, m) => n + words(typeof m.content === 'string' ? m.content : ''), 0);

describe('prompt templates', () => {
  it('fills {{var}} from the inputs, keeps unknown variables, and neutralizes variables inside values', () => {
    expect(renderTemplate('Hi {{name}}, {{unknown}}!', { name: 'Ada' })).toBe('Hi Ada, {{unknown}}!');
    expect(renderTemplate('Say {{text}}', { text: 'it {{name}}' })).toBe('Say it {name}');
    expect(renderTemplate('n={{n}} none={{x}}', { n: 3, x: null })).toBe('n=3 none=');
  });

  it('puts pre_prompt in the system message of a chat model, history in between, the query last', () => {
    const prompt = assemblePrompt({
      appMode: 'chat',
      config: config({ pre_prompt: 'Talk to {{name}}.' }),
      inputs: { name: 'Ada' },
      query: 'Hello',
      history: [{ query: 'q1', answer: 'a1' }],
    });
    expect(prompt.mode).toBe('chat');
    expect(prompt.messages).toEqual([
      { role: 'system', content: 'Talk to Ada.' },
      { role: 'user', content: 'q1' },
      { role: 'assistant', content: 'a1' },
      { role: 'user', content: 'Hello' },
    ]);
  });

  it('sends a completion app without query as one user message, and joins a query after the prompt on completion models', () => {
    const chatModel = assemblePrompt({
      appMode: 'completion',
      config: config({ pre_prompt: 'Write about {{topic}}.' }, 'completion'),
      inputs: { topic: 'tea' },
      query: '',
      history: [],
    });
    expect(chatModel.messages).toEqual([{ role: 'user', content: 'Write about tea.' }]);
    const completionModel = config(
      {
        pre_prompt: 'Write about {{topic}}.',
        model: { provider: 'openai', name: 'x', mode: 'completion', completion_params: {} },
      },
      'completion',
    );
    expect(
      assemblePrompt({
        appMode: 'completion',
        config: completionModel,
        inputs: { topic: 'tea' },
        query: 'Briefly.',
        history: [],
      }).messages,
    ).toEqual([{ role: 'user', content: 'Write about tea.\nBriefly.' }]);
  });

  it('renders a chat app on a completion model with Human/Assistant history and the Human: stop word', () => {
    const cfg = config({
      pre_prompt: 'Be kind.',
      model: { provider: 'openai', name: 'x', mode: 'completion', completion_params: {} },
    });
    const prompt = assemblePrompt({
      appMode: 'chat',
      config: cfg,
      inputs: {},
      query: 'How?',
      history: [{ query: 'Hi', answer: 'Hello' }],
    });
    const text = prompt.messages[0]!.content as string;
    expect(text.startsWith('Be kind.\n')).toBe(true);
    expect(text).toContain('<histories>\nHuman: Hi\nAssistant: Hello\n</histories>');
    expect(text.endsWith('Human: How?\n\nAssistant: ')).toBe(true);
    expect(prompt.stop).toEqual(['Human:']);
  });

  it('keeps the newest history that fits the context size and refuses a prompt that cannot fit', () => {
    const cfg = config({
      pre_prompt: 'one two',
      model: { provider: 'openai', name: 'x', mode: 'chat', completion_params: { max_tokens: 10 } },
    });
    const history = [
      { query: 'old old old', answer: 'old old old' },
      { query: 'mid', answer: 'mid' },
      { query: 'new', answer: 'new' },
    ];
    // 20 context − 10 answer − 3 (prompt) = 7 words of history: the two newest turns (2 each), not the oldest (6).
    const prompt = fitHistory({
      appMode: 'chat',
      config: cfg,
      inputs: {},
      query: 'now',
      history,
      contextSize: 20,
      countTokens: words,
    });
    expect(prompt.messages.map((m) => m.content)).toEqual(['one two', 'mid', 'mid', 'new', 'new', 'now']);
    expect(() =>
      fitHistory({
        appMode: 'chat',
        config: cfg,
        inputs: {},
        query: 'now',
        history,
        contextSize: 12,
        countTokens: words,
      }),
    ).toThrow(/Query or prefix prompt is too long/);
  });
});

describe('inputs against user_input_form', () => {
  const form = config({
    user_input_form: [
      { 'text-input': { label: 'Name', variable: 'name', required: true, max_length: 5 } },
      { select: { label: 'Tone', variable: 'tone', options: ['dry', 'warm'] } },
      { number: { label: 'N', variable: 'n' } },
      { paragraph: { label: 'Notes', variable: 'notes', default: 'none' } },
    ],
  }).user_input_form;

  it('keeps form variables only, with defaults, numbers parsed and NUL removed', () => {
    expect(prepareInputs(form, { name: 'Ad\u0000a', tone: 'dry', n: '4.5', extra: 'dropped' })).toEqual({
      name: 'Ada',
      tone: 'dry',
      n: 4.5,
      notes: 'none',
    });
  });

  it.each([
    [{}, 'name is required in input form'],
    [{ name: 3 }, "(type 'text-input') name in input form must be a string"],
    [{ name: 'toolong' }, 'name in input form must be less than 5 characters'],
    [{ name: 'Ada', tone: 'loud' }, 'tone in input form must be one of the following: ["dry","warm"]'],
    [{ name: 'Ada', n: 'many' }, 'n in input form must be a valid number'],
  ])('refuses %j with invalid_param naming the variable', (inputs, message) => {
    expect(() => prepareInputs(form, inputs)).toThrow(
      expect.objectContaining({ code: 'invalid_param', status: 400, message }),
    );
  });

  it('keeps the whole history without counting a token when even one token per byte fits', () => {
    const cfg = config({
      pre_prompt: 'one two',
      model: { provider: 'openai', name: 'x', mode: 'chat', completion_params: { max_tokens: 10 } },
    });
    const history = [
      { query: 'old', answer: 'old' },
      { query: 'new', answer: 'new' },
    ];
    const refuse = (): number => {
      throw new Error('counted');
    };
    const prompt = fitHistory({
      appMode: 'chat',
      config: cfg,
      inputs: {},
      query: 'now',
      history,
      contextSize: 4096,
      countTokens: refuse,
    });
    expect(prompt.messages.map((m) => m.content)).toEqual(['one two', 'old', 'old', 'new', 'new', 'now']);
    // Past the bound it counts: the same call with a small window asks the counter.
    expect(() =>
      fitHistory({
        appMode: 'chat',
        config: cfg,
        inputs: {},
        query: 'now',
        history,
        contextSize: 40,
        countTokens: refuse,
      }),
    ).toThrow('counted');
  });
});
