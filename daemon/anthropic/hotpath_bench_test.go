package anthropic

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
)

// The request side of the hot paths that `make bench` reports
// (.ci/bench.sh runs them with -benchmem): turning a Clawdbot-sized
// request into Ollama's, and the SSE frame of one token. The relay of a
// token end to end is daemon/translator's.

// clawdbotTools are the 23 tools a Clawdbot agent turn offers (names as
// Clawdbot 2026.1 has them); the schemas are of the same size and shape.
var clawdbotTools = []string{
	"read", "write", "edit", "apply_patch", "exec", "process", "browser", "canvas",
	"nodes", "cron", "message", "gateway", "agents_list", "sessions_list",
	"sessions_history", "sessions_send", "sessions_spawn", "session_status",
	"web_search", "web_fetch", "image", "memory_search", "memory_get",
}

// clawdbotRequest builds a streaming /v1/messages body the size of a
// Clawdbot turn deep into a session: 23 tools, a system prompt of about
// 23,000 characters and a history of turns runs tool calls and text, with
// tool results the size of file reads and command output.
func clawdbotRequest(turns int) []byte {
	var sys strings.Builder
	for i := 0; sys.Len() < 23000; i++ {
		fmt.Fprintf(&sys, "## Section %d\n\nYou are a personal assistant running inside Clawdbot. Use the tools when they help; "+
			"prefer reading files before editing them, keep replies short, and never reveal secrets such as API keys or tokens. "+
			"When a task needs several steps, say what you will do, then do it, then report what changed.\n\n", i)
	}
	var tools []any
	for _, name := range clawdbotTools {
		tools = append(tools, map[string]any{
			"name":        name,
			"description": "The " + name + " tool. " + strings.Repeat("Describes what the tool does, when to use it and what it returns. ", 6),
			"input_schema": map[string]any{
				"type": "object",
				"properties": map[string]any{
					"path":    map[string]any{"type": "string", "description": "Path to the file, relative to the workspace or absolute."},
					"command": map[string]any{"type": "string", "description": "Shell command to run."},
					"timeout": map[string]any{"type": "number", "description": "Timeout in seconds."},
					"mode":    map[string]any{"type": "string", "enum": []string{"read", "write", "append"}},
					"options": map[string]any{"type": "object", "properties": map[string]any{
						"recursive": map[string]any{"type": "boolean"}, "limit": map[string]any{"type": "integer", "minimum": 1},
					}},
				},
				"required": []string{"path"},
			},
		})
	}
	var msgs []any
	output := strings.Repeat("drwxr-xr-x  5 user staff   160 Jan 24 10:00 src\n-rw-r--r--  1 user staff  2048 Jan 24 10:00 main.go\n", 14)
	for i := range turns {
		id := fmt.Sprintf("toolu_%04d", i)
		msgs = append(msgs,
			map[string]any{"role": "user", "content": fmt.Sprintf("Step %d: look at the project and tell me what changed since yesterday.", i)},
			map[string]any{"role": "assistant", "content": []any{
				map[string]any{"type": "text", "text": "Let me look at the files first."},
				map[string]any{"type": "tool_use", "id": id, "name": clawdbotTools[i%len(clawdbotTools)],
					"input": map[string]any{"path": "src", "command": "ls -la src", "options": map[string]any{"recursive": true}}},
			}},
			map[string]any{"role": "user", "content": []any{
				map[string]any{"type": "tool_result", "tool_use_id": id, "content": []any{map[string]any{"type": "text", "text": output}}},
			}},
			map[string]any{"role": "assistant", "content": "The directory has the sources and a main file; nothing looks out of place. " +
				strings.Repeat("Here is a longer explanation of what I found and what I would do next. ", 4)},
		)
	}
	msgs = append(msgs, map[string]any{"role": "user", "content": "Summarise everything in three bullet points."})
	body, err := json.Marshal(map[string]any{
		"model": "claude-sonnet-4-5", "max_tokens": 8192, "stream": true,
		"system":   []any{map[string]any{"type": "text", "text": sys.String(), "cache_control": map[string]any{"type": "ephemeral"}}},
		"tools":    tools,
		"messages": msgs,
		"thinking": map[string]any{"type": "disabled"},
	})
	if err != nil {
		panic(err)
	}
	return body
}

var benchBackend = Backend{Model: "qwen3:8b", NumCtx: 32768, Caps: &Capabilities{Tools: true, Thinking: true, Family: "qwen3"}}

// BenchmarkConvertClawdbotRequest is the whole request path of one turn:
// the client's JSON decoded and validated, converted for the backend, and
// encoded as the body sent to Ollama's /api/chat.
func BenchmarkConvertClawdbotRequest(b *testing.B) {
	body := clawdbotRequest(20)
	if r, err := DecodeRequest(body); err != nil || len(r.Tools) != 23 || len(r.Messages) < 80 || len(r.Messages[0].Content) < 23000 {
		b.Fatalf("fixture is not Clawdbot-sized: %v", err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		r, err := DecodeRequest(body)
		if err != nil {
			b.Fatal(err)
		}
		creq, err := OllamaRequest(r, benchBackend)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := json.Marshal(creq); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkConvertAgentRequest1MB is the same request path for a
// session that has grown to 1 MB: the same tools and system prompt, and
// as many turns of the same shape as it takes.
func BenchmarkConvertAgentRequest1MB(b *testing.B) {
	body := agentRequest(1 << 20)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		r, err := DecodeRequest(body)
		if err != nil {
			b.Fatal(err)
		}
		creq, err := OllamaRequest(r, benchBackend)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := json.Marshal(creq); err != nil {
			b.Fatal(err)
		}
	}
}

// agentRequest is clawdbotRequest with as many turns as make it at least
// size bytes.
func agentRequest(size int) []byte {
	base, one := len(clawdbotRequest(0)), len(clawdbotRequest(1))-len(clawdbotRequest(0))
	return clawdbotRequest((size - base + one - 1) / one)
}

// BenchmarkDecodeClawdbotRequest is the decoding and validation alone,
// to show which half of the conversion costs what.
func BenchmarkDecodeClawdbotRequest(b *testing.B) {
	body := clawdbotRequest(20)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeRequest(body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeTextDelta is the SSE frame of one token alone.
func BenchmarkEncodeTextDelta(b *testing.B) {
	var e StreamEncoder
	b.ReportAllocs()
	for b.Loop() {
		e.BlockDelta(0, TextBlock, " token")
		e.WriteEvents(io.Discard)
	}
}
