import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The shared test data beside the repository (read-only). */
export const SHARED = path.resolve(ROOT, '../shared');
