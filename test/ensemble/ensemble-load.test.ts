/**
 * Ensemble load rules: validation errors (Triton's wording), load order in
 * every control mode, and availability that follows the step models.
 */
import { cp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from '../../runtime/server/create-server.ts';
import { loadWaves } from '../../runtime/server/model-manager.ts';
import { ModelState } from '../../runtime/server/server-api.ts';
import { createTempRepository, removeTempRepository } from '../support/onnx-fixtures.ts';
import { errorOf } from '../support/rejection.ts';
import { memoryLogger } from '../server/support.ts';
import { CHAIN, ensembleConfig, int32, writeEnsemble, writeOnnxSteps } from './support.ts';

let repo: string;
let server: Server | undefined;

beforeEach(async () => {
  repo = await createTempRepository('nereid-ensemble-load-');
  await writeOnnxSteps(repo);
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  await removeTempRepository(repo);
});

const SIMPLE_IN = { INPUT0: 'INPUT0', INPUT1: 'INPUT1' };
const IO = [{ name: 'INPUT0' }, { name: 'INPUT1' }];

/** Ensembles that must fail to load, with the message each must give. */
const BROKEN: [string, string, string][] = [
  ['unknown_step', ensembleConfig('unknown_step', IO, [{ name: 'OUT' }], [{ model: 'nope', inputs: SIMPLE_IN, outputs: { OUTPUT0: 'OUT' } }]),
    'ensemble unknown_step contains models that are not available: nope'],
  ['unused_input', ensembleConfig('unused_input', [...IO, { name: 'EXTRA' }], [{ name: 'OUT' }], [{ model: 'simple', inputs: SIMPLE_IN, outputs: { OUTPUT0: 'OUT' } }]),
    "ensemble input 'EXTRA' for ensemble 'unused_input' is not used"],
  ['unproduced', ensembleConfig('unproduced', IO, [{ name: 'OUT' }, { name: 'NEVER' }], [{ model: 'simple', inputs: SIMPLE_IN, outputs: { OUTPUT0: 'OUT' } }]),
    "ensemble output 'NEVER' for ensemble 'unproduced' is not used"],
  ['twice', ensembleConfig('twice', IO, [{ name: 'OUT' }], [
    { model: 'simple', inputs: SIMPLE_IN, outputs: { OUTPUT0: 'OUT' } },
    { model: 'identity', inputs: { INPUT0: 'INPUT0' }, outputs: { OUTPUT0: 'OUT' } },
  ]), "ensemble tensor 'OUT' can appear in an output map only once for ensemble 'twice' step 1"],
  ['tensor_cycle', ensembleConfig('tensor_cycle', [{ name: 'INPUT0' }], [{ name: 'OUT' }], [
    { model: 'simple', inputs: { INPUT0: 'INPUT0', INPUT1: 'loop' }, outputs: { OUTPUT0: 'OUT', OUTPUT1: 'mid' } },
    { model: 'identity', inputs: { INPUT0: 'mid' }, outputs: { OUTPUT0: 'loop' } },
  ]), "output 'OUT' for ensemble 'tensor_cycle' is not written: at least one of its depending tensors, 'mid', is not connected"],
  ['bad_dtype', ensembleConfig('bad_dtype', [{ name: 'INPUT0', type: 'TYPE_FP32' }, { name: 'INPUT1' }], [{ name: 'OUT' }], [{ model: 'simple', inputs: SIMPLE_IN, outputs: { OUTPUT0: 'OUT' } }]),
    'in ensemble bad_dtype, ensemble tensor INPUT0: inconsistent data type: TYPE_FP32 is inferred from model bad_dtype while TYPE_INT32 is inferred from model simple'],
  ['bad_shape', ensembleConfig('bad_shape', [{ name: 'INPUT0', dims: [8] }, { name: 'INPUT1' }], [{ name: 'OUT' }], [{ model: 'simple', inputs: SIMPLE_IN, outputs: { OUTPUT0: 'OUT' } }]),
    'in ensemble bad_shape, ensemble tensor INPUT0: inconsistent shape: [-1,8] is inferred from model bad_shape while [-1,16] is inferred from model simple'],
  ['bad_out_shape', ensembleConfig('bad_out_shape', IO, [{ name: 'OUT', dims: [4] }], [{ model: 'simple', inputs: SIMPLE_IN, outputs: { OUTPUT0: 'OUT' } }]),
    'in ensemble bad_out_shape, ensemble tensor OUT: inconsistent shape: [-1,4] is inferred from model bad_out_shape while [-1,16] is inferred from model simple'],
  ['step_mismatch', ensembleConfig('step_mismatch', [{ name: 'X', type: 'TYPE_FP32' }], [{ name: 'OUT', type: 'TYPE_FP32' }], [
    { model: 'scale_fp32', inputs: { INPUT0: 'X' }, outputs: { OUTPUT0: 'mid' } },
    { model: 'identity', inputs: { INPUT0: 'mid' }, outputs: { OUTPUT0: 'OUT' } },
  ]), 'in ensemble step_mismatch, ensemble tensor mid: inconsistent data type: TYPE_FP32 is inferred from model scale_fp32 while TYPE_INT32 is inferred from model identity'],
  ['too_big', ensembleConfig('too_big', IO, [{ name: 'OUT' }], [{ model: 'simple', inputs: SIMPLE_IN, outputs: { OUTPUT0: 'OUT' } }], 16),
    'ensemble too_big allows maximum batch size 16, but it contains model simple which only allows maximum batch size to be 8'],
  ['bad_input_name', ensembleConfig('bad_input_name', IO, [{ name: 'OUT' }], [{ model: 'simple', inputs: { ...SIMPLE_IN, NOPE: 'INPUT0' }, outputs: { OUTPUT0: 'OUT' } }]),
    'in ensemble bad_input_name, ensemble tensor INPUT0 is mapping to non-existing input NOPE in model simple'],
  ['unmapped', ensembleConfig('unmapped', [{ name: 'INPUT0' }], [{ name: 'OUT' }], [{ model: 'simple', inputs: { INPUT0: 'INPUT0' }, outputs: { OUTPUT0: 'OUT' } }]),
    'in ensemble unmapped, input INPUT1 in model simple is not mapped to any ensemble tensors'],
  ['bad_output_name', ensembleConfig('bad_output_name', IO, [{ name: 'OUT' }], [{ model: 'simple', inputs: SIMPLE_IN, outputs: { NOPE: 'OUT' } }]),
    'in ensemble bad_output_name, ensemble tensor OUT is mapped from non-existing output NOPE in model simple'],
  ['cycle_a', ensembleConfig('cycle_a', IO, [{ name: 'OUT' }], [{ model: 'cycle_b', inputs: SIMPLE_IN, outputs: { OUT: 'OUT' } }]),
    'circular dependency between ensembles: cycle_a -> ... -> cycle_b -> cycle_a'],
  ['cycle_b', ensembleConfig('cycle_b', IO, [{ name: 'OUT' }], [{ model: 'cycle_a', inputs: SIMPLE_IN, outputs: { OUT: 'OUT' } }]),
    'circular dependency between ensembles: cycle_b -> ... -> cycle_a -> cycle_b'],
];

describe('ensemble validation', () => {
  it('refuses each broken ensemble with its own message and serves the rest', async () => {
    const { writeScriptModel, fp32Config } = await import('../script/support.ts');
    await writeScriptModel(repo, 'scale_fp32', {
      source: `import { InferenceResponse, type InferenceRequest } from 'nereid/model';
        export function execute(requests: InferenceRequest[]) { return requests.map((r) => new InferenceResponse({ outputs: [r.requireInput('INPUT0').rename('OUTPUT0')] })); }`,
      config: fp32Config('scale_fp32').replace('dims: [ -1 ]', 'dims: [ 16 ]').replace('dims: [ -1 ]', 'dims: [ 16 ]'),
    });
    for (const [name, config] of BROKEN) await writeEnsemble(repo, name, config);
    await writeEnsemble(repo, 'chain', CHAIN);
    server = await createServer({ modelRepository: repo, log: memoryLogger() });
    const index = await server.repositoryIndex();
    for (const [name, , message] of BROKEN) {
      const entry = index.find((e) => e.name === name);
      expect(entry, name).toMatchObject({ state: ModelState.Unavailable });
      expect(entry!.reason, name).toContain(message);
    }
    expect(server.isModelReady('chain')).toBe(true);
  });

  it('orders loads in waves: steps before the ensembles that use them, cycles last', () => {
    const steps = new Map([
      ['nested', ['chain', 'simple']],
      ['chain', ['simple', 'identity']],
      ['simple', []],
      ['identity', []],
      ['a', ['b']],
      ['b', ['a']],
    ]);
    expect(loadWaves(steps)).toEqual([['identity', 'simple'], ['chain'], ['nested'], ['a', 'b']]);
  });
});

describe('ensemble lifecycle', () => {
  it('explicit mode: loading an ensemble loads its steps; it is unavailable while a step is unloaded, and back after', async () => {
    await writeEnsemble(repo, 'chain', CHAIN);
    server = await createServer({ modelRepository: repo, log: memoryLogger(), modelControlMode: 'explicit', loadModels: ['chain'] });
    expect(server.isModelReady('chain')).toBe(true);
    expect(server.isModelReady('simple')).toBe(true);
    expect(server.isModelReady('identity')).toBe(true);
    const request = () => ({ model: 'chain', inputs: [int32('INPUT0', [1]), int32('INPUT1', [1])] });

    await server.unloadModel('identity');
    expect(server.isModelReady('chain')).toBe(false);
    const error = await errorOf(server.infer(request()));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toContain('ensemble chain contains models that are not available: identity');
    expect((await server.repositoryIndex()).find((e) => e.name === 'chain')).toMatchObject({ state: ModelState.Unavailable });

    await server.loadModel('identity');
    expect(server.isModelReady('chain')).toBe(true);
    await expect(server.infer(request())).resolves.toMatchObject({ model: 'chain' });

    // Reloading a step keeps the ensemble serving.
    await server.loadModel('simple');
    expect(server.isModelReady('chain')).toBe(true);
    // Reloading the ensemble itself after a step was unloaded loads the step again.
    await server.unloadModel('simple');
    await server.loadModel('chain');
    expect(server.isModelReady('simple')).toBe(true);
    await expect(server.infer(request())).resolves.toMatchObject({ model: 'chain' });
  });

  it('unload_dependents: unloads the steps (nested ones too) that no model staying loaded uses and no load request named', async () => {
    const io = [{ name: 'INPUT0' }, { name: 'INPUT1' }];
    await writeEnsemble(repo, 'chain', CHAIN);
    await writeEnsemble(repo, 'nested', ensembleConfig('nested', io, [{ name: 'SUM' }], [
      { model: 'chain', inputs: { INPUT0: 'INPUT0', INPUT1: 'INPUT1' }, outputs: { OUT_SUM: 'SUM' } },
    ]));
    await writeEnsemble(repo, 'solo', ensembleConfig('solo', io, [{ name: 'SUM' }], [
      { model: 'simple', inputs: { INPUT0: 'INPUT0', INPUT1: 'INPUT1' }, outputs: { OUTPUT0: 'SUM' } },
    ]));
    server = await createServer({ modelRepository: repo, log: memoryLogger(), modelControlMode: 'explicit', loadModels: ['nested', 'solo'] });
    const ready = () => ['nested', 'chain', 'simple', 'identity', 'solo'].filter((name) => server!.isModelReady(name));
    expect(ready()).toEqual(['nested', 'chain', 'simple', 'identity', 'solo']);

    // Without the flag only the model itself goes.
    await server.unloadModel('nested');
    expect(ready()).toEqual(['chain', 'simple', 'identity', 'solo']);
    await server.loadModel('nested');

    // simple stays: solo still uses it.
    await server.unloadModel('nested', { unloadDependents: true });
    expect(ready()).toEqual(['simple', 'solo']);
    await server.unloadModel('solo', { unloadDependents: true });
    expect(ready()).toEqual([]);

    // A step that a load request named stays, as in Triton (identity here); the others go.
    await server.loadModel('identity');
    await server.loadModel('nested');
    expect(ready()).toEqual(['nested', 'chain', 'simple', 'identity']);
    await server.unloadModel('nested', { unloadDependents: true });
    expect(ready()).toEqual(['identity']);
  });

  it('poll mode: an ensemble follows its step out of the repository and back', async () => {
    await writeEnsemble(repo, 'chain', CHAIN);
    server = await createServer({ modelRepository: repo, log: memoryLogger(), modelControlMode: 'poll', repositoryPollSecs: 0.1 });
    expect(server.isModelReady('chain')).toBe(true);
    const aside = await createTempRepository('nereid-aside-');
    await cp(join(repo, 'identity'), join(aside, 'identity'), { recursive: true });
    await rm(join(repo, 'identity'), { recursive: true });
    await until(() => !server!.isModelReady('chain'));
    await cp(join(aside, 'identity'), join(repo, 'identity'), { recursive: true });
    await until(() => server!.isModelReady('chain'));
    await removeTempRepository(aside);
  });
});

async function until(condition: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
