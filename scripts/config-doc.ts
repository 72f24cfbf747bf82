/**
 * Writes docs/configuration.md: every configuration key with its default and
 * environment variable, from the schema itself (a test keeps it current).
 * Usage: npx tsx scripts/config-doc.ts [--check]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULTS, envNameFor, SECRET_KEYS } from '../common/config.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const CONFIG_DOC = path.join(ROOT, 'docs/configuration.md');

function leaves(obj: unknown, prefix: string[] = []): Array<[string, unknown]> {
  if (obj && typeof obj === 'object' && !Array.isArray(obj)) {
    const entries = Object.entries(obj);
    if (entries.length === 0) return [[prefix.join('.'), obj]];
    return entries.flatMap(([k, v]) => leaves(v, [...prefix, k]));
  }
  return [[prefix.join('.'), obj]];
}

const show = (key: string, v: unknown) => {
  if (SECRET_KEYS.includes(key) && v) return '(secret)';
  if (typeof v === 'string') return v === '' ? '' : `\`${v}\``;
  return `\`${JSON.stringify(v)}\``;
};

export function renderConfigDoc(): string {
  const rows = leaves(DEFAULTS).map(([k, v]) => `| \`${k}\` | ${show(k, v)} | \`${envNameFor(k)}\` |`);
  return [
    '# Configuration reference',
    '',
    'Generated from the configuration schema (`common/config.ts`) by `npx tsx scripts/config-doc.ts`;',
    'a test fails when this file is out of date. The README explains the file, the variables and secrets.',
    '',
    'Durations are shown in milliseconds; in YAML and variables write them as `30s`, `5m`, `1h`.',
    'Lists in variables are comma-separated. Secrets can also come from `<VARIABLE>_FILE`.',
    'With no `docker.*` key set, `DOCKER_HOST` (`unix:///path` or `tcp://host:port`) and `DOCKER_CERT_PATH` name the',
    'Docker engine, as they do for the Docker CLI.',
    '',
    '| key | default | environment variable |',
    '|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const text = renderConfigDoc();
  if (process.argv.includes('--check')) {
    if (readFileSync(CONFIG_DOC, 'utf8') !== text) {
      console.error('docs/configuration.md is out of date: run npx tsx scripts/config-doc.ts');
      process.exit(1);
    }
  } else writeFileSync(CONFIG_DOC, text);
}
