/**
 * Forwards every request to the ONNX `simple` model (business logic
 * scripting) and answers with its outputs. The input tensors go on unread,
 * so their bytes never enter this isolate. When the server traces a request
 * (the trace extension), its call to `simple` is traced as its child.
 */
import { InferenceRequest, InferenceResponse, type Model } from 'nereid/model';

export default class AddSubBls implements Model {
  async execute(requests: InferenceRequest[]): Promise<InferenceResponse[]> {
    return Promise.all(
      requests.map(async (request) => {
        const response = await new InferenceRequest({
          model: 'simple',
          inputs: request.inputs,
          requestedOutputs: request.requestedOutputNames,
          trace: request.trace(),
        }).exec();
        return new InferenceResponse({ outputs: response.outputs, error: response.error });
      }),
    );
  }
}
