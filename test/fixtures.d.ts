// Text of a file imported with Vite's ?raw suffix (the tests' committed fixtures; the device bundle inlines them).
declare module '*.json?raw' {
  const text: string;
  export default text;
}
