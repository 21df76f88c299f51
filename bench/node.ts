// The benchmark in Node, from the sources (no build needed):
//
//   npx tsx bench/node.ts [--sizes 1M,16M,64M,max] [--repeat 5] [--quick] [--json bench/results/] [--help]
//
// Same command as `webgpu-weight-init bench` (src/cli/bench.ts); --help lists every option. Without a GPU,
// Dawn runs on SwiftShader (a CPU implementation of Vulkan), so the numbers are not GPU speeds there.
import { registerWgslHooks } from './wgsl-hooks.js';

registerWgslHooks();
const { benchCommand } = await import('../src/cli/bench.js');
const code = await benchCommand(process.argv.slice(2));
// Dawn's instance can keep the event loop alive after the device is destroyed.
process.exit(code);
