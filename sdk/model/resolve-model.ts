/**
 * Finds the model in a model.ts module: a default-exported class (constructed
 * once, on first use), a default-exported object, or named exports. A module
 * that defines no `execute` is refused with a message naming what is missing
 * and what the module does export.
 *
 * @example
 * ```ts
 * const model = resolveModel(namespace);
 * await model.instance().execute(requests);
 * model.autoCompleteConfig?.(config);
 * ```
 */
import { NereidError } from '../errors.ts';
import type { Model, ModelModule } from './model-interface.ts';

/** The model of a module, ready to be instantiated. */
export interface ResolvedModel {
  /** The instance, constructing it on first call (a throw from the constructor propagates). */
  instance(): Model;
  /** The instance if it has been constructed. */
  created(): Model | undefined;
  /** The module's autoCompleteConfig, bound to its owner, if it has one. */
  readonly autoCompleteConfig: ((config: unknown) => unknown) | undefined;
}

type Fn = (...args: unknown[]) => unknown;

const HOOKS = ['initialize', 'execute', 'finalize', 'autoCompleteConfig'] as const;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function exportsOf(module: ModelModule): string {
  const names = Object.keys(module);
  return names.length > 0 ? names.join(', ') : 'nothing';
}

function checkHooks(owner: Record<string, unknown>, what: string, names: readonly string[]): void {
  for (const name of names) {
    const hook = owner[name];
    if (hook !== undefined && typeof hook !== 'function') {
      throw NereidError.invalidArg(`model.ts: ${what} '${name}' is ${describe(hook)}, not a function`);
    }
  }
}

function bound(owner: Record<string, unknown>, name: string): ((config: unknown) => unknown) | undefined {
  const hook = owner[name];
  return typeof hook === 'function' ? (config: unknown) => (hook as Fn).call(owner, config) : undefined;
}

/** The model defined by `module` (a model.ts namespace object). */
export function resolveModel(module: ModelModule): ResolvedModel {
  if (typeof module !== 'object' || module === null) {
    throw NereidError.invalidArg('serveModel: expected the namespace object of model.ts');
  }
  const fallbackAutoComplete = bound(module, 'autoCompleteConfig');
  const exported = module.default;

  if (typeof exported === 'function') {
    const Class = exported as (new () => Model) & Record<string, unknown>;
    const className = Class.name || 'anonymous class';
    if (Class.prototype === undefined) {
      throw NereidError.invalidArg(
        `model.ts: the default export is a function that cannot be constructed (an arrow function?); export default a class with an execute(requests) method, or export function execute(requests)`,
      );
    }
    checkHooks(Class.prototype as Record<string, unknown>, `class ${className}: method`, ['initialize', 'execute', 'finalize']);
    checkHooks(Class, `class ${className}: static`, ['autoCompleteConfig']);
    let instance: Model | undefined;
    return {
      instance() {
        if (instance === undefined) {
          const created = new Class();
          // Checked here rather than on the prototype: execute may be an instance field (an arrow function).
          if (typeof created?.execute !== 'function') {
            throw NereidError.invalidArg(`model.ts: the default export class ${className} has no execute(requests) method`);
          }
          instance = created;
        }
        return instance;
      },
      created: () => instance,
      autoCompleteConfig: bound(Class, 'autoCompleteConfig') ?? fallbackAutoComplete,
    };
  }

  if (typeof exported === 'object' && exported !== null) {
    const object = exported as Record<string, unknown>;
    checkHooks(object, 'the default export object: property', HOOKS);
    if (typeof object.execute !== 'function') {
      throw NereidError.invalidArg(
        `model.ts: the default export is an object without an execute(requests) method; export default a class or an object with execute, or export function execute(requests)`,
      );
    }
    const model = object as unknown as Model;
    return { instance: () => model, created: () => model, autoCompleteConfig: bound(object, 'autoCompleteConfig') ?? fallbackAutoComplete };
  }

  checkHooks(module, 'export', HOOKS);
  if (typeof module.execute !== 'function') {
    const defaultNote = exported === undefined ? '' : ` (its default export is ${describe(exported)})`;
    throw NereidError.invalidArg(
      `model.ts must export a function execute(requests), or export default a class with an execute(requests) method; it exports: ${exportsOf(module)}${defaultNote}`,
    );
  }
  const call =
    (name: string) =>
    (...args: unknown[]): unknown =>
      typeof module[name] === 'function' ? (module[name] as Fn)(...args) : undefined;
  const model: Model = {
    execute: call('execute') as Model['execute'],
    initialize: call('initialize') as Model['initialize'],
    finalize: call('finalize') as Model['finalize'],
  };
  return { instance: () => model, created: () => model, autoCompleteConfig: fallbackAutoComplete };
}
