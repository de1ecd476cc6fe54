/**
 * Tensors crossing into and out of a model.ts isolate without copying large
 * payloads. Small tensors travel inline (copied with the descriptor: cheaper
 * than a handle round trip). Large ones stay on the host in this table and
 * the isolate gets a handle; the payload moves in (transferred, not copied)
 * only if the script reads `.data`, so a script that forwards a tensor to
 * another model or returns a BLS output never touches its bytes.
 *
 * Ownership: the table owns each registered tensor until it is taken into
 * the isolate (`take`, which moves the payload) or released. The host does
 * not know which request the script's code works for when it registers a
 * tensor (a BLS result may arrive for any of them), so a tensor stays valid
 * while any holder open at its registration is open: an execute, or a
 * decoupled request's response stream. Once those have closed, no request
 * that could have been handed the tensor is still running. Overlapping
 * streams therefore never keep every tensor alive: each goes with the
 * oldest holder that could use it.
 */
import ivm from 'isolated-vm';
import { NereidError } from '../../../sdk/errors.ts';
import { isWholeBuffer } from '../../memory/whole-buffer.ts';
import type { TensorDescriptor } from '../../../sdk/model/isolate-protocol.ts';
import { Tensor } from '../../../sdk/tensor.ts';
import type { DataArray, DataType, NumericArray } from '../../../sdk/datatypes.ts';

/** A registered tensor, and the last holder id issued when it was registered: holders opened later were never open with it. */
interface Held {
  readonly tensor: Tensor;
  readonly stamp: number;
}

export class TensorHandles {
  /** In handle order, which is also stamp order. */
  readonly #tensors = new Map<number, Held>();
  /** Open holders, oldest first (ids only grow, and only deletions happen in between). */
  readonly #holders = new Set<number>();
  readonly #inlineBytes: number;
  #next = 1;
  #lastHolder = 0;

  constructor(inlineBytes: number) {
    this.#inlineBytes = inlineBytes;
  }

  /** Handles registered and not yet taken or released. */
  get size(): number {
    return this.#tensors.size;
  }

  /** Opens a holder (an execute, a response stream): tensors registered while it is open stay valid until it closes. */
  hold(): number {
    const holder = ++this.#lastHolder;
    this.#holders.add(holder);
    return holder;
  }

  /** Closes a holder, and releases the tensors no open holder could have been handed. */
  unhold(holder: number): void {
    this.#holders.delete(holder);
    const oldest = this.#holders.values().next();
    if (oldest.done) return this.release();
    for (const [handle, held] of this.#tensors) {
      if (held.stamp >= oldest.value) break;
      this.#tensors.delete(handle);
    }
  }

  /** A descriptor for `tensor`: inline when small, else a handle. */
  describe(tensor: Tensor): TensorDescriptor {
    const base = { name: tensor.name, datatype: tensor.datatype, shape: [...tensor.shape] };
    if (tensor.byteLength <= this.#inlineBytes) return { ...base, data: tensor.data as ArrayBufferView | Uint8Array[] };
    const handle = this.#next++;
    this.#tensors.set(handle, { tensor, stamp: this.#lastHolder });
    return { ...base, handle };
  }

  /** The host tensor a descriptor stands for: its handle's tensor (renamed and reshaped as described), or its inline data. */
  resolve(descriptor: TensorDescriptor, what: string): Tensor {
    if (descriptor.handle !== undefined) {
      // The handle stays valid: a script may forward one tensor twice. If the first use moved its
      // buffer (to an ONNX worker), the second fails there with a 'detached' error naming the tensor.
      const tensor = this.#tensors.get(descriptor.handle)?.tensor;
      if (!tensor) throw NereidError.invalidArg(`${what}: tensor '${descriptor.name}' is no longer available (its data was moved into the script)`);
      const sameShape = tensor.shape.length === descriptor.shape.length && tensor.shape.every((d, i) => d === descriptor.shape[i]);
      const shaped = sameShape ? tensor : tensor.reshape(descriptor.shape);
      return shaped.name === descriptor.name ? shaped : shaped.rename(descriptor.name);
    }
    if (descriptor.data === undefined) throw NereidError.invalidArg(`${what}: tensor '${descriptor.name}' has neither data nor a handle`);
    return new Tensor(descriptor.name, descriptor.datatype as DataType, descriptor.shape, descriptor.data as DataArray);
  }

  /**
   * Moves a handle's payload into the isolate: a numeric buffer is transferred
   * (the host copy is detached), BYTES elements are copied.
   */
  take(handle: number): ivm.Copy<ArrayBufferView | Uint8Array[]> | Uint8Array[] {
    const tensor = this.#tensors.get(handle)?.tensor;
    if (!tensor) throw new Error(`tensor handle ${handle} is no longer valid (already read or released)`);
    this.#tensors.delete(handle);
    if (tensor.datatype === 'BYTES') return tensor.data as Uint8Array[];
    const data = tensor.data as NumericArray;
    const view = isWholeBuffer(data) ? data : data.slice();
    return new ivm.ExternalCopy(view, { transferOut: true }).copyInto({ transferIn: true }) as ivm.Copy<ArrayBufferView>;
  }

  /** Forgets every handle (no holder is open, or the isolate is gone). */
  release(): void {
    this.#tensors.clear();
  }
}
