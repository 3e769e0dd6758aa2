// A Node.js process started ahead of its one example (pool.py): `openai` imported, then it waits on stdin.
//
//     node node_standby.mjs        stdin: one JSON line {"script": "/path/example.mjs", "env": {"KEY_VAR": "..."}}
//
// It adds the run key to its environment and imports the example, as `node example.mjs` would run it: an
// error the example throws ends the process with Node.js's own message and status 1. One example only: stdin
// is closed after the first line, and the process ends when the example's work does.
import 'openai';
import { pathToFileURL } from 'node:url';

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
for (const [name, value] of Object.entries(order.env)) process.env[name] = value;
process.argv[1] = order.script;
await import(pathToFileURL(order.script).href);
