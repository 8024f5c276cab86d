// berth.v1.Images/BuildStep and BuildCacheLookup: berth build's steps (Runtime.buildStep) and its
// cache. The first BuildStep message carries the options, the rest the layer tar when the client
// sends it (layer_from_data).
import type { BuildCacheLookupRequest__Output, BuildCacheLookupResponse, BuildStepRequest__Output, BuildStepResponse } from '../../api/berth/berth-messages.js';
import { parseStepSettings } from '../../runtime/images/build-step-image.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { ClientStreamHandler, UnaryHandler } from '../server/instrument.js';
import { optionsFirst } from './options-first.js';

export function buildStep(runtime: Runtime): ClientStreamHandler<BuildStepRequest__Output, BuildStepResponse> {
  return async (requests) => {
    const { options, data } = await optionsFirst('BuildStep', requests, (message) => message.options);
    const { runConfig, history } = parseStepSettings(options.configJson, options.historyJson);
    const image = await runtime.buildStep({
      parent: options.parent,
      container: options.container,
      layerTar: options.layerFromData ? data : undefined,
      settings: { runConfig, history, author: options.author },
      cacheKey: options.cacheKey,
    });
    return { id: image.id };
  };
}

export function buildCacheLookup(runtime: Runtime): UnaryHandler<BuildCacheLookupRequest__Output, BuildCacheLookupResponse> {
  return async (request) => ({ id: (await runtime.images.buildCache.lookup(request.cacheKey, (id) => runtime.images.status(id)?.id === id)) ?? '' });
}
