//go:build linux

package main

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/clawbridge/clawbridge/daemon/admin"
	"github.com/clawbridge/clawbridge/daemon/status"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama"
	"github.com/clawbridge/clawbridge/tray/traytest"
)

// warmFromMenu clicks "Keep models warm" with model, the alias's model,
// unloaded from the real Ollama, and checks that the check mark shows,
// the config says so with its comments kept, the daemon's state and the
// alias's title say warm, and Ollama's /api/ps lists the model.
func warmFromMenu(t *testing.T, ctx context.Context, panel *traytest.Client, ac *admin.Client, olURL, model, configPath string) {
	t.Helper()
	c, err := ollama.New(olURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	unloadAll(t, ctx, c)
	root, err := panel.WaitFor(ctx, "the warm-up switch", func(r *traytest.Item) bool { return r.Find("Keep models warm") != nil })
	if err != nil {
		t.Fatal(err)
	}
	if root.Find("Keep models warm").Checked {
		t.Fatal("Keep models warm is checked with warm-up off in the config")
	}
	if err := panel.Click(ctx, "Keep models warm"); err != nil {
		t.Fatal(err)
	}
	if _, err := panel.WaitFor(ctx, "the switch checked and the alias warm", func(r *traytest.Item) bool {
		sw, al := r.Find("Keep models warm"), r.Find("claude-sonnet-4-5")
		return sw != nil && sw.Checked && al != nil && strings.Contains(al.Label, "· warm (")
	}); err != nil {
		t.Fatal(err)
	}
	st, err := ac.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Warmup || len(st.Aliases) != 1 || st.Aliases[0].Load != status.LoadWarm {
		t.Errorf("status after the click: warmup %v, aliases %+v", st.Warmup, st.Aliases)
	}
	if !psLists(t, ctx, c, model) {
		t.Errorf("Ollama's /api/ps does not list %s after Keep models warm", model)
	}
	data, _ := os.ReadFile(configPath)
	if !strings.Contains(string(data), "  models:\n    warmup: true\n") || !strings.HasPrefix(string(data), "# my clawbridge config\n") {
		t.Errorf("config after Keep models warm:\n%s", data)
	}
}

// unloadAll asks Ollama to unload every model and waits until /api/ps
// lists none.
func unloadAll(t *testing.T, ctx context.Context, c *ollama.Client) {
	t.Helper()
	for {
		ps, err := c.Running(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(ps.Models) == 0 {
			return
		}
		for _, m := range ps.Models {
			if err := c.Load(ctx, m.Name, "0s", 0); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// psLists reports whether Ollama's /api/ps lists model.
func psLists(t *testing.T, ctx context.Context, c *ollama.Client, model string) bool {
	t.Helper()
	ps, err := c.Running(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ps.Models {
		if m.Name == model {
			return true
		}
	}
	return false
}
