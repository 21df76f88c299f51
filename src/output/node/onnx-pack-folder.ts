// ONNX packs in Node: the pack folder and its onnx/ subfolder as CheckpointFolders (files written to temporary names
// and renamed into place when complete), a folder that already holds pack files refused.
import { join } from 'node:path';
import { InvalidParameterError } from '../../errors.js';
import type { OnnxPackFolders, OnnxPackPlan } from '../onnx/pack.js';
import { openCheckpointFolder } from './checkpoint-folder.js';

/**
 * The folders of a pack at `path` (created with onnx/ when missing). Refused (InvalidParameterError) when any file
 * the pack would write is there already: a pack is never mixed into an older one, and no file is replaced.
 */
export async function openOnnxPackFolders(path: string, plan: Pick<OnnxPackPlan, 'files'>): Promise<OnnxPackFolders> {
  const root = await openCheckpointFolder(path);
  const onnx = await openCheckpointFolder(join(path, 'onnx'));
  const present = new Set([...(await root.list!()), ...(await onnx.list!()).map((n) => `onnx/${n}`)]);
  const clash = plan.files.map((f) => (f.folder ? `${f.folder}/${f.name}` : f.name)).filter((n) => present.has(n));
  if (clash.length > 0) {
    throw new InvalidParameterError('folder', clash.join(', '), 'a folder without an ONNX pack: remove those files or pick another folder');
  }
  return { root, onnx };
}
