/**
 * One answer to a trace setting request, from either frontend: `GET/POST
 * /v2[/models/{m}]/trace/setting` and gRPC `TraceSetting` both come here.
 * A model must be loaded to have settings of its own (NOT_FOUND otherwise).
 * A change that names no setting for a model clears the model's own settings
 * (Triton's HTTP POST without settings), so it follows the global ones again.
 */
import { NereidError } from '../../sdk/errors.ts';
import type { TraceSettingsMap } from '../../sdk/server-answers.ts';
import type { InferenceServer } from '../server/server-api.ts';
import type { TraceSettingValue } from './trace-settings.ts';

/** Applies `changes` (undefined for a read) to `model`'s or the global trace settings; returns them as they now are. */
export function answerTraceSetting(server: InferenceServer, model: string | undefined, changes: Record<string, TraceSettingValue> | undefined): TraceSettingsMap {
  const settings = server.traceSettings;
  if (!settings) throw NereidError.unsupported('tracing is not supported by this server');
  if (model !== undefined) server.modelConfig(model); // NOT_FOUND / UNAVAILABLE for a model that is not loaded
  if (changes !== undefined) {
    const names = Object.keys(changes);
    if (model !== undefined && names.length === 0) settings.clearModel(model);
    else settings.update(changes, model);
  }
  return settings.toTriton(model);
}
