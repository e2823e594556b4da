// Writes the Clawdbot-format inputs of the golden tests exactly as
// Clawdbot's saveJsonFile does: JSON.stringify(store, null, 2) + "\n".
// Run with `node gen-inputs.js` from this directory; the outputs are
// committed, so the tests do not need node.
const fs = require("fs");
const save = (name, store) => fs.writeFileSync(name, `${JSON.stringify(store, null, 2)}\n`);

const local = { type: "api_key", provider: "anthropic", key: "sk-litellm-local" };
const claude = {
  type: "oauth", provider: "anthropic",
  access: "sk-ant-oat01-ACCESS", refresh: "sk-ant-ort01-REFRESH", expires: 1893456000000,
};
const openai = { type: "api_key", provider: "openai", key: "sk-proj-OPENAI", email: "ünïcode <a&b>@example.com" };
const usage = {
  "anthropic:default": { lastUsed: 1769000000000, errorCount: 0 },
  "anthropic:claude-cli": { lastUsed: 1769000100000, errorCount: 2, failureCounts: { rate_limit: 2 } },
  "openai:default": { lastUsed: 1768000000000 },
};

save("pin/claude-sync.in.json", {
  version: 1,
  profiles: { "anthropic:default": local, "openai:default": openai, "anthropic:claude-cli": claude },
  lastGood: { anthropic: "anthropic:claude-cli", openai: "openai:default" },
  usageStats: usage,
});
save("pin/held.in.json", {
  version: 1,
  profiles: { "anthropic:default": local, "anthropic:claude-cli": claude },
  order: { anthropic: ["anthropic:default"] },
  lastGood: { anthropic: "anthropic:default" },
  usageStats: usage,
});
save("pin/other-orders.in.json", {
  version: 1,
  profiles: { "openai:default": openai, "anthropic:default": local, "anthropic:claude-cli": claude },
  order: { openai: ["openai:default"], anthropic: ["anthropic:claude-cli", "anthropic:default"] },
  lastGood: { anthropic: "anthropic:default" },
});
save("pin/displaced-oauth.in.json", {
  version: 1,
  profiles: { "anthropic:default": { ...claude, email: "me@example.com" } },
});
save("pin/wrong-key.in.json", {
  version: 1,
  profiles: { "anthropic:default": { type: "api_key", provider: "anthropic", key: "sk-ant-api03-REAL", email: "me@example.com" } },
  order: { anthropic: ["anthropic:default"] },
  lastGood: { anthropic: "anthropic:default" },
});
save("pin/token-cli.in.json", {
  version: 1,
  profiles: { "anthropic:claude-cli": { type: "token", provider: "anthropic", token: "sk-ant-oat01-TOKEN" } },
  usageStats: { "anthropic:claude-cli": { lastUsed: 1 } },
});
save("pin/empty-store.in.json", { version: 1, profiles: {} });

// Data loss: last good, then Clawdbot's store rebuilt from Claude CLI
// credentials after it failed to parse a half-written file.
const full = {
  version: 1,
  profiles: { "anthropic:default": local, "openai:default": openai, "anthropic:claude-cli": claude },
  order: { anthropic: ["anthropic:default"], openai: ["openai:default"] },
  lastGood: { anthropic: "anthropic:default", openai: "openai:default" },
  usageStats: usage,
};
save("recover/rebuilt.last.json", full);
save("recover/rebuilt.in.json", { version: 1, profiles: { "anthropic:claude-cli": { ...claude, access: "sk-ant-oat01-NEWER" } } });
save("recover/claude-appeared.last.json", {
  version: 1,
  profiles: { "anthropic:default": local, "openai:default": openai },
  order: { anthropic: ["anthropic:default"] },
  lastGood: { anthropic: "anthropic:default" },
});
save("recover/claude-appeared.in.json", {
  version: 1,
  profiles: { "anthropic:default": local, "anthropic:claude-cli": claude },
  order: { anthropic: ["anthropic:default"] },
  lastGood: { anthropic: "anthropic:default" },
});
save("recover/user-removed.last.json", full);
save("recover/user-removed.in.json", {
  version: 1,
  profiles: { "anthropic:default": local, "anthropic:claude-cli": claude },
  order: { anthropic: ["anthropic:default"], openai: ["openai:default"] },
  lastGood: { anthropic: "anthropic:default", openai: "openai:default" },
  usageStats: usage,
});
save("recover/torn.last.json", full);
const next = JSON.parse(JSON.stringify(full));
next.profiles["mistral:default"] = { type: "api_key", provider: "mistral", key: "MISTRAL" };
next.usageStats["mistral:default"] = { lastUsed: 1770000000000 };
const text = `${JSON.stringify(next, null, 2)}\n`;
// Cut inside usageStats, after the mistral profile is complete.
fs.writeFileSync("recover/torn.in.json", text.slice(0, text.indexOf('"openai:default": {\n      "lastUsed"') + 12));
