/**
 * Which of a model's version folders to serve, per `version_policy`
 * (default: the single highest version).
 */
import { NereidError } from '../../sdk/errors.ts';
import type { ModelVersionPolicy } from '../../sdk/model-config.ts';

/** The versions to load, ascending. Throws when the policy selects none. */
export function selectVersions(modelName: string, policy: ModelVersionPolicy | undefined, available: readonly number[]): number[] {
  const sorted = [...available].sort((a, b) => a - b);
  let selected: number[];
  if (policy?.all) {
    selected = sorted;
  } else if (policy?.specific) {
    const wanted = policy.specific.versions ?? [];
    const missing = wanted.filter((v) => !sorted.includes(v));
    if (missing.length > 0) {
      throw NereidError.invalidArg(
        `model '${modelName}': version_policy specific lists version(s) ${missing.join(', ')} but the repository has ${sorted.length ? sorted.join(', ') : 'no versions'}`,
      );
    }
    selected = sorted.filter((v) => wanted.includes(v));
  } else {
    const count = Math.max(1, policy?.latest?.num_versions ?? 1);
    selected = sorted.slice(-count);
  }
  if (selected.length === 0) {
    throw NereidError.invalidArg(`model '${modelName}': no version folders to serve (expected a folder such as '1' holding the model file)`);
  }
  return selected;
}
