import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Third-party data the tests use, kept in the repository with its license notice. */
export const FIXTURES = path.join(ROOT, 'test/fixtures');
