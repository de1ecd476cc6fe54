/**
 * What the server says about itself in `GET /v2` and gRPC ServerMetadata.
 * The extension list names only what is implemented.
 */
import { readFileSync } from 'node:fs';

const packageJson = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

export const SERVER_NAME = 'nereid';
export const SERVER_VERSION: string = packageJson.version;
export const SERVER_EXTENSIONS: readonly string[] = Object.freeze([
  'model_repository',
  'model_repository(unload_dependents)',
  'model_configuration',
  'binary_tensor_data',
  'parameters',
  'statistics',
  'trace',
  'logging',
]);
