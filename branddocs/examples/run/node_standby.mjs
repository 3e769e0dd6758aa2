// A Node.js process started ahead of its one example (pool.py): `openai` imported and warmed up, then it waits
// on stdin.
//
//     node --experimental-vm-modules node_standby.mjs
//         stdin: one JSON line {"script": "/path/example.mjs", "env": {"KEY_VAR": "..."}}
//
// It parses the example first, as `node --check` does (vm.SourceTextModule: parsed, never run); one that does
// not parse ends it with status 65 and NOT_VALID on stderr, and the checks ask `node --check` for the message
// (off the common path: a `node` of its own costs more than the example). Then it adds the run key to its
// environment and imports the example, as `node example.mjs` would run it: an error the example throws ends
// the process with Node.js's own message and status 1. One example only: stdin is closed after the first line,
// and the process ends when the example's work does.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { pathToFileURL } from 'node:url';
import vm from 'node:vm';
import OpenAI from 'openai';

const NOT_VALID = 'branddocs: the example is not valid JavaScript';

// One request of the SDK to a server of our own on this sandbox's loopback, before any example: the first
// request compiles fetch's HTTP parser and the SDK's request path (about 50 ms), which no example should pay.
const reply = { id: 'warm-up', object: 'chat.completion', created: 0, model: 'warm-up', choices: [] };
const server = http.createServer((_, response) => {
  response.writeHead(200, { 'content-type': 'application/json', connection: 'close' });
  response.end(JSON.stringify(reply));
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
try {
  const client = new OpenAI({ apiKey: 'warm-up', baseURL: `http://127.0.0.1:${server.address().port}/v1`,
    maxRetries: 0 });
  await client.chat.completions.create({ model: 'warm-up', messages: [{ role: 'user', content: 'hi' }] });
} catch {} finally {
  server.close();
}

const line = await new Promise((resolve, reject) => {
  let text = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk) => {
    text += chunk;
    const end = text.indexOf('\n');
    if (end >= 0) {
      process.stdin.destroy();
      resolve(text.slice(0, end));
    }
  });
  process.stdin.on('end', () => resolve(text));
  process.stdin.on('error', reject);
});
if (!line.trim()) process.exit(0); // the pool closed without an example for it
const order = JSON.parse(line);
const warn = process.emitWarning;
process.emitWarning = () => {}; // vm modules are experimental: the example's stderr is not the place to say so
try {
  new vm.SourceTextModule(readFileSync(order.script, 'utf8'), { identifier: order.script });
} catch (error) {
  if (!(error instanceof SyntaxError)) throw error;
  process.stderr.write(`${NOT_VALID}\n`);
  process.exit(65);
} finally {
  process.emitWarning = warn;
}
for (const [name, value] of Object.entries(order.env)) process.env[name] = value;
process.argv[1] = order.script;
await import(pathToFileURL(order.script).href);
