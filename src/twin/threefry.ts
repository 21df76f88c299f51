// CPU twin of shaders/threefry.wgsl: same function names, same bits. The functions are the stream contract's
// (src/contract/threefry.ts), which the JAX key operations use too.
export { THREEFRY_PARITY, rotateLeft32, threefryMix, threefry2x32_20, threefryPair } from '../contract/threefry.js';
