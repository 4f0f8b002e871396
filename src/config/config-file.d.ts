// `#idem-config` is imported as text (`with { type: "text" }`): the file wrangler.toml's alias names, or
// src/config/no-config-file.txt (empty: no file) by default, through package.json's `imports`.
declare module "#idem-config" {
  const text: string;
  export default text;
}
