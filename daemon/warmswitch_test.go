package daemon

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/clawbridge/clawbridge/daemon/status"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama/ollamatest"
)

// TestWarmupSwitch flips the tray's "Keep models warm" switch against the
// real Ollama: on, it is written to the config (comments kept) and the
// alias's model is loaded at once, to stay; off, it is written back and
// the model, still loaded, is given Ollama's default keep_alive (5m).
func TestWarmupSwitch(t *testing.T) {
	ol := ollamatest.Start(t)
	c, _ := ollama.New(ol.URL, nil)
	w := newWorld(t, ol.URL, "")
	d := startDaemon(t, w, Options{})
	waitFor(t, "the alias to show cold", func() bool { return alias(d.State()).Load == status.LoadCold })
	if running(t, c, ollamatest.ModelTiny) != nil {
		t.Fatal("the model is loaded before the switch is on")
	}

	if err := d.SetToggle("warmup", true); err != nil {
		t.Fatal(err)
	}
	if !d.State().Warmup {
		t.Error("state shows warm-up off right after switching it on")
	}
	wantConfig(t, w.configPath, "  models:\n    warmup: true\n")
	waitFor(t, "the model to be warmed up", func() bool { return alias(d.State()).Load == status.LoadWarm })
	m := running(t, c, ollamatest.ModelTiny)
	if m == nil {
		t.Fatal("Ollama's /api/ps does not list the model after switching warm-up on")
	}
	if left := time.Until(m.ExpiresAt); left < 24*time.Hour {
		t.Errorf("warmed model expires in %v, want it kept for as long as Ollama runs", left.Round(time.Second))
	}

	if err := d.SetToggle("warmup", false); err != nil {
		t.Fatal(err)
	}
	if d.State().Warmup {
		t.Error("state shows warm-up on right after switching it off")
	}
	wantConfig(t, w.configPath, "  models:\n    warmup: false\n")
	waitFor(t, "the model to follow Ollama's default keep_alive", func() bool {
		m := running(t, c, ollamatest.ModelTiny)
		return m != nil && time.Until(m.ExpiresAt) < time.Hour
	})
	expiresIn(t, running(t, c, ollamatest.ModelTiny), 5*time.Minute)
}

// wantConfig checks that the config holds part and still the user's
// comment.
func wantConfig(t *testing.T, path, part string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), part) || !strings.Contains(string(data), "# the tiny scripted model") {
		t.Errorf("config does not hold %q with the comments kept:\n%s", part, data)
	}
}
