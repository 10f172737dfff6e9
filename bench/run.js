// `npm run bench -- NAME`: compiles src and bench, then runs bench/NAME.ts. Benchmarks print figures; they never assert.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const name = process.argv[2];
if (!name || !existsSync(new URL(`./${name}.ts`, import.meta.url))) {
  console.error(`usage: npm run bench -- NAME   (NAME is a file in bench/ without .ts)`);
  process.exit(2);
}
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.bench.json'], { cwd: root, stdio: 'inherit' });
// The dashboard's templates, as `nest build` copies them: every Regatta process serves the API.
cpSync(new URL('../src/api-server/views', import.meta.url), new URL('../dist-bench/src/api-server/views', import.meta.url), { recursive: true });
await import(new URL(`../dist-bench/bench/${name}.js`, import.meta.url).href);
