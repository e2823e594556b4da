// @mariozechner/pi-ai, the library Clawdbot talks to models through, against
// clawbridge, using a custom Model that is what Clawdbot's catalog holds for
// Anthropic with the baseUrl pointed at clawbridge (pi-ai's Anthropic client
// appends /v1/messages itself).
//
//   node pi-ai.mjs <package> <case>
//
// <package> is the npm alias to load: pi-ai-0493 (the version Clawdbot
// 2026.1.24 pins) or pi-ai-latest. See lib.mjs for the protocol; cases:
//
//   text      stream(): the event sequence and the final AssistantMessage
//   tool      a get_weather tool call, then complete() after the tool result
//   bad-key   a wrong key: pi-ai reports it as stopReason "error"
import { readFileSync } from "node:fs";
import { env, run, weatherResult, weatherTool } from "./lib.mjs";

const pkg = process.argv.at(-2);
if (pkg !== "pi-ai-0493" && pkg !== "pi-ai-latest") {
  console.error(`usage: node pi-ai.mjs pi-ai-0493|pi-ai-latest <case>; got package ${JSON.stringify(pkg)}`);
  process.exit(2);
}
const { stream, complete } = await import(pkg);
// Read directly: pi-ai's "exports" map does not expose its package.json.
const { version } = JSON.parse(readFileSync(new URL(`./node_modules/${pkg}/package.json`, import.meta.url), "utf8"));

const apiKey = env("API_KEY");
const model = {
  id: "claude-sonnet-4-5",
  name: "Claude Sonnet 4.5 (clawbridge)",
  api: "anthropic-messages",
  provider: "anthropic",
  baseUrl: env("BASE_URL"),
  reasoning: true,
  input: ["text", "image"],
  cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
  contextWindow: 200000,
  maxTokens: 4096,
};

// pi-ai's tools carry a JSON Schema (TypeBox builds one) as `parameters`.
const tools = [{ name: weatherTool.name, description: weatherTool.description, parameters: weatherTool.input_schema }];

// streamed runs stream() and returns the final message with the events.
async function streamed(context, key = apiKey) {
  const s = stream(model, context, { apiKey: key, maxTokens: 512 });
  const events = [];
  let text = "";
  const toolCalls = [];
  for await (const ev of s) {
    events.push(ev.type);
    if (ev.type === "text_delta") text += ev.delta;
    if (ev.type === "toolcall_end") toolCalls.push(ev.toolCall);
  }
  return { message: await s.result(), events, streamedText: text, streamedToolCalls: toolCalls };
}

const user = (content) => ({ role: "user", content, timestamp: Date.now() });

await run({
  text: async () => ({ version, ...(await streamed({ messages: [user("Hello!")] })) }),

  tool: async () => {
    const context = { messages: [user("What's the weather in Paris?")], tools };
    const first = await streamed(context);
    const calls = first.message.content.filter((b) => b.type === "toolCall");
    if (calls.length === 0) return { version, first };
    context.messages.push(first.message);
    for (const call of calls) {
      context.messages.push({
        role: "toolResult",
        toolCallId: call.id,
        toolName: call.name,
        content: [{ type: "text", text: weatherResult }],
        isError: false,
        timestamp: Date.now(),
      });
    }
    const second = await complete(model, context, { apiKey, maxTokens: 512 });
    return { version, first, second };
  },

  "bad-key": async () => ({ version, ...(await streamed({ messages: [user("Hello!")] }, "sk-wrong-key")) }),
});
