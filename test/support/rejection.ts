/** The NereidError a promise rejects with; fails the test if it resolves or rejects with anything else. */
import { NereidError } from '../../sdk/errors.ts';

export async function errorOf(promise: Promise<unknown>): Promise<NereidError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof NereidError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}
