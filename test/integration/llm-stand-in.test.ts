import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_REPLY, startStandIn, type StandIn } from '../helpers/llm-stand-in.js';

let llm: StandIn;
beforeAll(async () => {
  llm = await startStandIn({ apiKeys: ['sk-stand-in'] });
});
afterAll(async () => {
  await llm?.close();
});

const post = async (path: string, body: unknown, key = 'sk-stand-in') => {
  const response = await fetch(`${llm.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify(body),
  });
  return { status: response.status, text: await response.text() };
};

describe('the LLM stand-in (aimock on loopback)', () => {
  it('answers chat with its reply, checks keys, and records what it received', async () => {
    const ok = await post('/v1/chat/completions', {
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.text).choices[0].message.content).toBe(DEFAULT_REPLY);
    expect(
      (await post('/v1/chat/completions', { model: 'x', messages: [{ role: 'user', content: 'hi' }] }, 'sk-wrong'))
        .status,
    ).toBe(401);
    expect(llm.requests().at(-1)).toMatchObject({
      path: '/v1/chat/completions',
      status: 200,
      body: { model: 'gpt-4o-mini' },
    });
  });

  it('serves legacy /v1/completions, blocking and streamed, with the current reply', async () => {
    llm.setReply('Completed text.');
    const blocking = await post('/v1/completions', { model: 'gpt-3.5-turbo-instruct', prompt: 'Say it' });
    expect(JSON.parse(blocking.text)).toMatchObject({
      object: 'text_completion',
      choices: [{ text: 'Completed text.' }],
    });
    const streamed = await post('/v1/completions', { model: 'gpt-3.5-turbo-instruct', prompt: 'Say it', stream: true });
    const texts = streamed.text
      .split('\n\n')
      .filter((e) => e.startsWith('data: {'))
      .map((e) => JSON.parse(e.slice(6)).choices[0]?.text ?? '');
    expect(texts.join('')).toBe('Completed text.');
    expect(streamed.text.trim().endsWith('data: [DONE]')).toBe(true);
    expect(llm.requests().at(-1)?.path).toBe('/v1/completions');
    llm.setReply(DEFAULT_REPLY);
  });

  it('fails the next request on demand', async () => {
    llm.failNext(500);
    expect(
      (await post('/v1/chat/completions', { model: 'x', messages: [{ role: 'user', content: 'hi' }] })).status,
    ).toBe(500);
    expect(
      (await post('/v1/chat/completions', { model: 'x', messages: [{ role: 'user', content: 'hi' }] })).status,
    ).toBe(200);
  });
});
