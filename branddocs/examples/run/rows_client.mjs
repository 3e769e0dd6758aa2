// branddocs' own Node.js client for the guide's error tables (judge/claims.py), one order after another.
//
//     node rows_client.mjs      (in the sandbox; stdin: one JSON order a line; stdout: one JSON answer a line)
//
// An order is {"base_url": URL, "key": RUN_KEY, "wrong_key": KEY, "timeout": SECONDS, "rows": [{"body": {...},
// "wrong_key": BOOL}, ...]}; its answer {"shows": [...]}, one entry a row: what the `openai` package gives
// (`ChatCompletion`, `OpenAI.AuthenticationError`, ...). The requests are the table's, as data: no example's code
// runs here.
import readline from 'node:readline';
import OpenAI from 'openai';

for await (const line of readline.createInterface({ input: process.stdin })) {
  const order = JSON.parse(line);
  const shows = [];
  for (const row of order.rows) {
    const client = new OpenAI({
      baseURL: order.base_url,
      apiKey: row.wrong_key ? order.wrong_key : order.key,
      maxRetries: 0,
      timeout: order.timeout * 1000,
    });
    try {
      await client.chat.completions.create(row.body);
      shows.push('ChatCompletion');
    } catch (err) {
      shows.push(err instanceof OpenAI.APIError ? `OpenAI.${err.constructor.name}` : err.constructor.name);
    }
  }
  process.stdout.write(`${JSON.stringify({ shows })}\n`);
}
