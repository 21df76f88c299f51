// The benchmark of the device bundle (built into .device/app/bench.mjs by scripts/device/bundle.ts): the
// CLI's `bench` command with TF.js bundled in, so that the TF.js peer runs where no node_modules exist.
//   node bench.mjs [bench options]   (see `webgpu-weight-init bench --help`)

import * as webgpu from '@tensorflow/tfjs-backend-webgpu';
import * as core from '@tensorflow/tfjs-core';
import * as layers from '@tensorflow/tfjs-layers';
import { benchCommand, type TfModules } from '../../src/cli/bench.js';

const modules = { core, webgpu, layers } as unknown as TfModules;
const code = await benchCommand(process.argv.slice(2), async () => modules);
// Dawn's instance can keep the event loop alive after the device is destroyed.
process.exit(code);
