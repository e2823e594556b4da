package main

import (
	"reflect"
	"testing"
	"time"

	"github.com/clawbridge/clawbridge/daemon/status"
	"github.com/clawbridge/clawbridge/tray"
)

func TestTrayStateModels(t *testing.T) {
	yes, no := true, false
	in := status.State{
		Backends: []status.BackendState{{URL: "http://o:11434", Reachable: true, Version: "0.17.4",
			Models: []status.ModelState{
				{Name: "qwen3:8b", Tools: &yes, ModelDetails: status.ModelDetails{Size: 5_200_000_000, ParameterSize: "8.2B",
					Quantization: "Q4_K_M", ContextLength: 40960, Thinking: &yes, Vision: &no}},
				{Name: "llava:7b", Tools: &no, ModelDetails: status.ModelDetails{ParameterSize: "7B", ContextLength: 32768, Vision: &yes}},
			}}},
		Aliases: []status.AliasState{
			{Name: "claude-sonnet-4-5", Model: "qwen3:8b", Backend: "http://o:11434", Ollama: true, Load: status.LoadWarm, Memory: 6_100_000_000,
				Stats: status.AliasStats{Window: time.Hour, Requests: 3, TTFT: 120 * time.Millisecond, TokensPerSecond: 42.25,
					InputTokens: 5300, OutputTokens: 950}},
			{Name: "claude-opus-4-1", Model: "gpt-oss:20b", Backend: "http://o:11434", Ollama: true, Missing: true},
		},
		Pulls: []status.PullState{{Model: "gpt-oss:20b", Backend: "http://o:11434", Completed: 42, Total: 100}},
	}
	got := trayState(in, "/home/ada")
	qwen := tray.Choice{Model: "qwen3:8b", Tools: tray.Yes, Thinking: tray.Yes, Vision: tray.No, Detail: "8.2B · Q4_K_M · 5.2 GB · 40k context"}
	llava := tray.Choice{Model: "llava:7b", Tools: tray.No, Thinking: tray.Unknown, Vision: tray.Yes, Detail: "7B · 32k context"}
	want := []tray.Alias{
		{Name: "claude-sonnet-4-5", Model: "qwen3:8b", Choices: []tray.Choice{qwen, llava}, Load: "warm (6.1 GB)",
			Numbers: "3 requests · TTFT 120ms · 42.2 tok/s · 5.3k in / 950 out"},
		{Name: "claude-opus-4-1", Model: "gpt-oss:20b", Choices: []tray.Choice{qwen, llava}, Missing: true},
	}
	if !reflect.DeepEqual(got.Aliases, want) {
		t.Errorf("aliases\n got  %+v\n want %+v", got.Aliases, want)
	}
	if !reflect.DeepEqual(got.Unmapped, []tray.Choice{llava}) {
		t.Errorf("unmapped %+v, want llava only", got.Unmapped)
	}
	if wantPulls := []tray.Pull{{Model: "gpt-oss:20b", Line: "pulling gpt-oss:20b: 42% (42 B of 100 B)", Running: true}}; !reflect.DeepEqual(got.Pulls, wantPulls) {
		t.Errorf("pulls %+v, want %+v", got.Pulls, wantPulls)
	}
}
