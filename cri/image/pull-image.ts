// CRI PullImage: fetch, verify, record and unpack; answers the image id.
import type { AuthConfig__Output, PullImageRequest__Output, PullImageResponse } from '../../api/cri/messages.js';
import type { RegistryAuth } from '../../runtime/images/auth.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { UnaryHandler } from '../server/instrument.js';

/** The credentials of a CRI AuthConfig (or berth.v1.RegistryAuth, the same fields). */
export function registryAuth(auth: Pick<AuthConfig__Output, 'username' | 'password' | 'auth' | 'identityToken' | 'registryToken'> | null): RegistryAuth | undefined {
  if (!auth) return undefined;
  const credentials: RegistryAuth = {};
  if (auth.username) credentials.username = auth.username;
  if (auth.password) credentials.password = auth.password;
  if (auth.auth) credentials.auth = auth.auth;
  if (auth.identityToken) credentials.identityToken = auth.identityToken;
  if (auth.registryToken) credentials.registryToken = auth.registryToken;
  return Object.keys(credentials).length > 0 ? credentials : undefined;
}

export function pullImage(runtime: Runtime): UnaryHandler<PullImageRequest__Output, PullImageResponse> {
  return async (request, signal) => {
    const record = await runtime.images.pull(request.image?.image ?? '', registryAuth(request.auth), { signal });
    return { imageRef: record.id };
  };
}
