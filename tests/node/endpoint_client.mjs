// Drives the reference endpoint with the openai npm package; prints one JSON line of what it saw.
// Usage: node endpoint_client.mjs BASE_URL API_KEY MODEL
import OpenAI from 'openai';

const [baseURL, apiKey, model] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0 });
const messages = [{ role: 'user', content: 'hi' }];
const seen = {};

const completion = await client.chat.completions.create({ model, messages });
seen.content = completion.choices[0].message.content;
seen.usage = completion.usage;

const stream = await client.chat.completions.create({
  model, messages, stream: true, stream_options: { include_usage: true },
});
seen.streamed = '';
for await (const chunk of stream) {
  if (chunk.choices.length) seen.streamed += chunk.choices[0].delta.content ?? '';
  if (chunk.usage) seen.streamUsage = chunk.usage;
}

const errorOf = async (c, body) => {
  try { await c.chat.completions.create(body); return null; } catch (e) { return [e.constructor.name, e.status, e.code ?? null, e.param ?? null]; }
};
seen.wrongKey = await errorOf(new OpenAI({ baseURL, apiKey: 'sk-wrong', maxRetries: 0 }), { model, messages });
seen.unknownModel = await errorOf(client, { model: 'no-such-model', messages });
seen.unknownField = await errorOf(client, { model, messages, maxTokens: 5 });
console.log(JSON.stringify(seen));
