// CPU twin of shaders/threefry.wgsl: same function names, same bits. The functions are the stream contract's
// (src/contract/threefry.ts), which the JAX key operations use too.
export { rotateLeft32, THREEFRY_PARITY, threefry2x32_20, threefryMix, threefryPair } from '../contract/threefry.js';
