// berth.v1.Images/Login: checks credentials against a registry; the client stores them.
import { InvalidArgumentError } from '../../common/errors.js';
import type { LoginRequest__Output, LoginResponse } from '../../api/berth/berth-messages.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { UnaryHandler } from '../server/instrument.js';
import { registryAuth } from '../image/pull-image.js';

export function login(runtime: Runtime): UnaryHandler<LoginRequest__Output, LoginResponse> {
  return async (request) => {
    const auth = registryAuth(request.auth);
    if (!request.server || !auth) throw new InvalidArgumentError('Login needs a server and credentials');
    await runtime.images.login(request.server, auth);
    return { status: 'Login Succeeded' };
  };
}
