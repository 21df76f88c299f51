// CPU twin of shaders/philox.wgsl: same function names, same bits. The functions are the stream contract's
// (src/contract/philox.ts), which the JAX key operations use too.
export * from '../contract/philox.js';
