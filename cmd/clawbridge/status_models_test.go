package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/clawbridge/clawbridge/daemon/status"
)

func TestPrintStateModels(t *testing.T) {
	s := &status.State{
		Warmup: true,
		Aliases: []status.AliasState{
			{Name: "claude-sonnet-4-5", Model: "qwen3:8b", Ollama: true, Load: status.LoadWarm, Memory: 6_100_000_000,
				Stats: status.AliasStats{Window: time.Hour, Requests: 2, TTFT: 95 * time.Millisecond, TokensPerSecond: 88,
					InputTokens: 12_400, OutputTokens: 310}},
			{Name: "claude-opus-4-1", Model: "gpt-oss:20b", Ollama: true, Missing: true},
		},
		Pulls: []status.PullState{{Model: "gpt-oss:20b", Completed: 21, Total: 50}},
	}
	var b bytes.Buffer
	printState(&b, s, time.Now(), "/home/ada")
	for _, want := range []string{
		"claude-sonnet-4-5 → qwen3:8b · warm (6.1 GB)",
		"last hour: 2 requests · TTFT 95ms · 88.0 tok/s · 12.4k in / 310 out",
		"claude-opus-4-1 → gpt-oss:20b · not pulled · get it with `clawbridge pull claude-opus-4-1`",
		"on: the aliases' models are kept loaded",
		"pulling gpt-oss:20b: 42% (21 B of 50 B)",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("status lacks %q:\n%s", want, b.String())
		}
	}
}
