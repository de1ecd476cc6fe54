/**
 * Images in tensors, the two ways a client sends one: the encoded file as a
 * BYTES tensor of one element (PNG or JPEG, decoded here), or the decoded
 * pixels as a UINT8 `[height, width, 3]` tensor (RGB, used as they are, no
 * copy). Each problem is INVALID_ARG naming the tensor.
 *
 * @example
 * ```ts
 * const image = imageFromTensor(request.requireInput('image'));   // BYTES [1] or UINT8 [h, w, 3]
 * const pixels = imageToTensor('pixels', image);                 // UINT8 [h, w, 3], the same bytes
 * ```
 */
import { NereidError } from '../errors.ts';
import { Tensor } from '../tensor.ts';
import { decodeImage } from './decode-image.ts';
import { checkImageSize, rgbImage, type RgbImage } from './rgb-image.ts';

/** The image a BYTES `[1]` (encoded PNG/JPEG) or UINT8 `[h, w, 3]` (RGB pixels) tensor holds. */
export function imageFromTensor(tensor: Tensor): RgbImage {
  const what = `input '${tensor.name}'`;
  if (tensor.datatype === 'BYTES') {
    const elements = tensor.data as Uint8Array[];
    if (elements.length !== 1) throw NereidError.invalidArg(`${what} must hold one encoded image, got ${elements.length} elements`);
    return decodeImage(elements[0]!, what);
  }
  if (tensor.datatype === 'UINT8') {
    const [height, width, channels] = tensor.shape;
    if (tensor.shape.length !== 3 || channels !== 3) {
      throw NereidError.invalidArg(`${what} must be RGB pixels shaped [height, width, 3], got [${tensor.shape.join(', ')}]`);
    }
    checkImageSize(width!, height!, what);
    return rgbImage(width!, height!, tensor.data as Uint8Array);
  }
  throw NereidError.invalidArg(`${what} is ${tensor.datatype}; an image is BYTES (an encoded PNG or JPEG) or UINT8 [height, width, 3]`);
}

/** `image` as a UINT8 `[height, width, 3]` tensor over the same bytes. */
export function imageToTensor(name: string, image: RgbImage): Tensor<'UINT8'> {
  return new Tensor(name, 'UINT8', [image.height, image.width, 3], image.data);
}
