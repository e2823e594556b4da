// Command traydemo shows the real clawbridge tray with a made-up but
// realistic state, for screenshots (`make screenshot`) and for trying the
// menu on a desktop without a daemon. Clicks change the demo's own state
// and are logged; nothing on the machine is touched.
//
//	traydemo [-look good|attention|off]
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/clawbridge/clawbridge/tray"
)

func main() {
	look := flag.String("look", "good", "which state to show: good, attention or off")
	flag.Parse()
	s, err := demoState(*look, time.Now())
	if err != nil {
		fmt.Fprintln(os.Stderr, "traydemo:", err)
		os.Exit(2)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	d := &demo{state: s, states: make(chan tray.State, 4), log: log}
	err = tray.Run(ctx, tray.Options{
		Initial: s,
		States:  d.states,
		Logger:  log,
		Actions: tray.Actions{
			SetToggle:     d.setToggle,
			SetAliasModel: d.setAliasModel,
			Repatch:       func(context.Context) error { log.Info("demo: re-patch"); return nil },
			Doctor: func(context.Context) (string, bool) {
				return "Ollama answers, 21/21 URLs patched, key pinned", true
			},
			Notify: func(title, msg string) { log.Info("demo: notification", "title", title, "message", msg) },
			Quit:   func() { log.Info("demo: quit") },
		},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "traydemo:", err)
		os.Exit(1)
	}
}

// demo keeps the shown state and applies clicks to it, as the daemon would.
type demo struct {
	mu     sync.Mutex
	state  tray.State
	states chan tray.State
	log    *slog.Logger
}

func (d *demo) setToggle(_ context.Context, t tray.Toggle, on bool) error {
	d.log.Info("demo: toggle", "toggle", t, "on", on)
	d.change(func(s *tray.State) {
		switch t {
		case tray.ToggleTranslator:
			s.Translator.Enabled = on
		case tray.ToggleAutoRepatch:
			s.AutoRepatch = on
		case tray.ToggleGuard:
			s.Guard.Enabled = on
		case tray.ToggleNotifications:
			s.Notifications = on
		case tray.ToggleGateway:
			s.Gateway.Enabled, s.Gateway.Running = on, on
		case tray.ToggleStartAtLogin:
			s.StartAtLogin = on
		case tray.ToggleWarmup:
			s.Warmup = on
		}
	})
	return nil
}

func (d *demo) setAliasModel(_ context.Context, alias, model string) error {
	d.log.Info("demo: switch model", "alias", alias, "model", model)
	d.change(func(s *tray.State) {
		for i := range s.Aliases {
			if s.Aliases[i].Name == alias {
				s.Aliases[i].Model = model
			}
		}
	})
	return nil
}

func (d *demo) change(edit func(*tray.State)) {
	d.mu.Lock()
	s := d.state
	s.Aliases = slices.Clone(s.Aliases)
	edit(&s)
	s.At = time.Now()
	d.state = s
	d.mu.Unlock()
	d.states <- s
}

// demoState is a healthy Linux setup: one Ollama with a handful of models,
// a Clawdbot checkout patched and re-patched after an install, three
// Claude aliases.
func demoState(look string, now time.Time) (tray.State, error) {
	home, _ := os.UserHomeDir()
	models := []tray.Choice{
		{Model: "qwen3:32b", Tools: tray.Yes, Thinking: tray.Yes, Detail: "32.8B · Q4_K_M · 20.2 GB · 40k context"},
		{Model: "qwen3:8b", Tools: tray.Yes, Thinking: tray.Yes, Detail: "8.2B · Q4_K_M · 5.2 GB · 40k context"},
		{Model: "llama3.1:70b", Tools: tray.Yes, Detail: "70.6B · Q4_K_M · 42.5 GB · 128k context"},
		{Model: "mistral-small3.2:24b", Tools: tray.Yes, Vision: tray.Yes, Detail: "24.0B · Q4_K_M · 15.0 GB · 128k context"},
		{Model: "gemma3:27b", Tools: tray.No, Vision: tray.Yes, Detail: "27.4B · Q4_K_M · 17.4 GB · 128k context"},
		{Model: "llama2:7b", Tools: tray.No, Detail: "6.7B · Q4_0 · 3.8 GB · 4k context"},
	}
	s := tray.State{
		Translator: tray.Translator{Enabled: true, Addr: "127.0.0.1:4000", Requests: 1284},
		Backends:   []tray.Backend{{URL: "http://127.0.0.1:11434", Version: "0.17.4", Models: len(models)}},
		Patches: []tray.Patch{{
			Target:  home + "/clawdbot/node_modules/.pnpm/@mariozechner+pi-ai@0.49.3/node_modules/@mariozechner/pi-ai",
			Patched: 21, Total: 21, Reapplied: now.Add(-48 * time.Minute),
		}},
		Guard:         tray.Guard{Enabled: true, Pinned: true, LastRestore: now.Add(-85 * time.Minute)},
		AutoRepatch:   true,
		Notifications: true,
		StartAtLogin:  true,
		Aliases: []tray.Alias{
			{Name: "claude-sonnet-4-5", Model: "qwen3:32b", Choices: models, Load: "warm (22.1 GB)",
				Numbers: "48 requests · TTFT 410ms · 31.5 tok/s · 412.3k in / 18.9k out"},
			{Name: "claude-opus-4-1", Model: "llama3.1:70b", Choices: models, Load: "cold", Numbers: "no requests"},
			{Name: "claude-haiku-4-5", Model: "qwen3:8b", Choices: models, Load: "warm (6.1 GB)",
				Numbers: "112 requests · TTFT 95ms · 88.0 tok/s · 301.4k in / 22.7k out"},
		},
		Unmapped:   []tray.Choice{{Model: "nomic-embed-text:latest", Detail: "137M · F16 · 274 MB · 2k context"}},
		ConfigPath: home + "/.config/clawbridge/config.yaml",
		LogPath:    home + "/.local/state/clawbridge/clawbridge.log",
		TUICommand: "clawdbot tui",
		At:         now,
	}
	switch look {
	case "good":
	case "attention":
		s.Backends = append(s.Backends, tray.Backend{URL: "http://gpu-box:11434", Err: "connection refused"})
	case "off":
		s.Translator.Enabled = false
	default:
		return tray.State{}, fmt.Errorf("unknown -look %q (want good, attention or off)", look)
	}
	return s, nil
}
