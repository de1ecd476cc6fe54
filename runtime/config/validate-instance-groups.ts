/**
 * Rules for `instance_group` of a normalised config: at least one group,
 * KIND_AUTO already resolved, GPUs only on GPU groups and only ones that
 * exist, TensorRT-only `profile`. Messages follow Triton's wording
 * ("instance group <group> of model <model> ...").
 */
import { NereidError } from '../../sdk/errors.ts';
import type { ModelConfig } from '../../sdk/model-config.ts';

export interface InstanceGroupContext {
  /** False when the server has no GPU; KIND_GPU groups are then refused. */
  readonly gpuAvailable?: boolean;
  /** The usable GPU ids; when given, listed GPUs must be among them. */
  readonly gpuIds?: readonly number[];
}

function fail(message: string): never {
  throw NereidError.invalidArg(message);
}

/** Validates the instance groups of a non-ensemble config. */
export function validateInstanceGroups(config: ModelConfig, context: InstanceGroupContext): void {
  // Ensembles have no instances of their own; validate-ensemble.ts refuses groups there.
  if (config.ensemble_scheduling) return;
  const name = config.name;
  const groups = config.instance_group ?? [];
  if (groups.length === 0) fail(`must specify one or more 'instance group's for ${name}`);
  const noGpu = context.gpuAvailable === false || (context.gpuIds !== undefined && context.gpuIds.length === 0);
  for (const group of groups) {
    const prefix = `instance group ${group.name ?? ''} of model ${name}`;
    const gpus = group.gpus ?? [];
    const kind = group.kind ?? 'KIND_AUTO';
    if ((group.count ?? 0) < 1) fail(`${prefix} must have a count of at least 1, got ${group.count ?? 0}`);
    switch (kind) {
      case 'KIND_MODEL':
        if (gpus.length > 0) fail(`${prefix} has kind KIND_MODEL but specifies one or more GPUs`);
        break;
      case 'KIND_CPU':
        if (gpus.length > 0) fail(`${prefix} has kind KIND_CPU but specifies one or more GPUs`);
        break;
      case 'KIND_GPU':
        if (gpus.length === 0) fail(noGpu ? `${prefix} has kind KIND_GPU but no GPUs are available` : `${prefix} has kind KIND_GPU but specifies no GPUs`);
        for (const id of gpus) {
          const known = context.gpuIds === undefined ? id >= 0 : context.gpuIds.includes(id);
          if (!known) {
            const available = context.gpuIds === undefined ? '' : `. Available GPUs are: ${context.gpuIds.length ? context.gpuIds.join(', ') : 'none'}`;
            fail(`${prefix} specifies invalid or unsupported gpu id ${id}${available}`);
          }
        }
        break;
      default:
        // normalizeConfig resolves KIND_AUTO; meeting it here means normalisation was skipped.
        throw NereidError.internal(`${prefix} has unexpected kind KIND_AUTO`);
    }
    if ((group.profile ?? []).length > 0 && config.platform !== 'tensorrt_plan') {
      fail(`${prefix} and platform ${config.platform ?? ''} specifies profile field which is only supported for TensorRT models`);
    }
  }
}
