// Which function answers which berth.v1.Images RPC (api/berth/v1/images.proto); one file each.
import type { Runtime } from '../../runtime/runtime.js';
import type { CriHandlers } from '../server/server.js';
import { buildCacheLookup, buildStep } from './build-step.js';
import { commit } from './commit.js';
import { history } from './history.js';
import { importTarball } from './import.js';
import { load } from './load.js';
import { login } from './login.js';
import { prune } from './prune.js';
import { push } from './push.js';
import { remove } from './remove.js';
import { save } from './save.js';
import { tag } from './tag.js';

export function berthImagesHandlers(runtime: Runtime): NonNullable<CriHandlers['berthImages']> {
  return {
    Tag: tag(runtime),
    Remove: remove(runtime),
    History: history(runtime),
    Prune: prune(runtime),
    Save: save(runtime),
    Load: load(runtime),
    Import: importTarball(runtime),
    Push: push(runtime),
    Login: login(runtime),
    Commit: commit(runtime),
    BuildStep: buildStep(runtime),
    BuildCacheLookup: buildCacheLookup(runtime),
  };
}
