declare module '*.wgsl?raw' {
  const code: string;
  export default code;
}

declare module '*.wgsl?reflect' {
  const layout: import('./gpu/shader-layout.js').ShaderLayout;
  export default layout;
}
