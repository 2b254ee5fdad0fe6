/** OpenAI's embeddings answer (`float` arrays, or `base64`: little-endian float32, the SDKs' default). */

export type EncodingFormat = 'float' | 'base64';

/** A vector as OpenAI's base64 encoding: the float32 values' bytes, little-endian. */
export function base64Embedding(vector: number[]): string {
  const bytes = Buffer.alloc(vector.length * 4);
  for (const [i, value] of vector.entries()) bytes.writeFloatLE(value, i * 4);
  return bytes.toString('base64');
}

export function embeddingsDocument(input: {
  model: string;
  embeddings: number[][];
  tokens: number;
  format: EncodingFormat;
}): Record<string, unknown> {
  return {
    object: 'list',
    data: input.embeddings.map((vector, index) => ({
      object: 'embedding',
      index,
      embedding: input.format === 'base64' ? base64Embedding(vector) : vector,
    })),
    model: input.model,
    usage: { prompt_tokens: input.tokens, total_tokens: input.tokens },
  };
}

/** An OpenAI model object (`GET /v1/models`). */
export const modelObject = (id: string, created: number, ownedBy: string): Record<string, unknown> => ({
  id,
  object: 'model',
  created,
  owned_by: ownedBy,
});
