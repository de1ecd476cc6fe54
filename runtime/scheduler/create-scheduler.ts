/**
 * The scheduler a model's config asks for: the sequence batcher for
 * `sequence_batching`, the dynamic batcher for `dynamic_batching`, else
 * Triton's default scheduler (each request on its own). An ensemble gets the
 * ensemble scheduler, which sends its steps back through `host` (server.infer).
 */
import type { ModelConfig } from '../../sdk/model-config.ts';
import type { BackendInstance, ModelHost } from '../backends/backend.ts';
import { EnsembleScheduler } from '../ensemble/ensemble-scheduler.ts';
import type { ModelStats } from '../stats/model-stats.ts';
import { DirectScheduler } from './direct-scheduler.ts';
import { DynamicBatcher } from './dynamic-batcher.ts';
import type { Scheduler } from './scheduler.ts';
import { SequenceBatcher } from './sequence-batcher.ts';

/** `label` names the model and version in error messages, e.g. `model 'simple' version 1`. */
export function createScheduler(label: string, config: ModelConfig, instances: readonly BackendInstance[], stats: ModelStats, host?: ModelHost): Scheduler {
  if (config.ensemble_scheduling) {
    if (!host) throw new Error(`${label}: an ensemble needs the server to run its steps`);
    return new EnsembleScheduler(label, config, host);
  }
  if (config.sequence_batching) return new SequenceBatcher(label, config, instances, stats);
  if (config.dynamic_batching) return new DynamicBatcher(label, config, instances, stats);
  return new DirectScheduler(label, instances, stats);
}
