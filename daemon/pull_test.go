package daemon

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clawbridge/clawbridge/daemon/admin"
	"github.com/clawbridge/clawbridge/daemon/status"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama/ollamatest"
)

// pullOf is the state's pull of model, or the zero value.
func pullOf(st status.State, model string) status.PullState {
	for _, p := range st.Pulls {
		if p.Model == model {
			return p
		}
	}
	return status.PullState{}
}

// TestPullFromRegistry goes from "the alias names a model Ollama does not
// have" to that model warm, through the admin endpoint as the tray and
// `clawbridge pull` use it, with a real Ollama pulling from a registry
// served by the test; then a pull of a model the registry lacks and one
// whose downloads cannot connect fail with the reason, and a slow pull is
// cancelled half way.
func TestPullFromRegistry(t *testing.T) {
	ol := ollamatest.Start(t)
	c, _ := ollama.New(ol.URL, nil)
	reg := ollamatest.StartRegistry(t, ol, "pulled", 1<<20, 0)
	slow := ollamatest.StartRegistry(t, ol, "slow", 16<<20, 20*time.Millisecond) // 20ms per 64 KiB: about five seconds
	w := newWorld(t, ol.URL, "  models:\n    warmup: true\n")
	replaceFile(t, w.configPath, strings.Replace(readFile(t, w.configPath), "ollama/"+ollamatest.ModelTiny, "ollama/"+reg.Model("pulled"), 1))
	notifier, noted := recordingNotifier(t)
	runtimeDir := filepath.Join(w.home, "run")
	d := startDaemon(t, w, Options{RuntimeDir: runtimeDir, Notifier: notifier})
	waitFor(t, "the alias's model to show missing", func() bool { return alias(d.State()).Missing })

	ac, err := admin.Connect(runtimeDir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := ac.StartPull(ctx, admin.PullRequest{Name: "claude-sonnet-4-5", Insecure: true}); err != nil {
		t.Fatal(err)
	}
	want := reg.Model("pulled")
	waitFor(t, "the pull to end", func() bool { return pullOf(d.State(), want).Done })
	if p := pullOf(d.State(), want); p.Err != "" || p.Cancelled || p.Percent() != 100 || p.Total <= 0 {
		t.Fatalf("pull ended %+v, want a success", p)
	}
	waitFor(t, "the pulled model to be warmed up", func() bool {
		a := alias(d.State())
		return !a.Missing && a.Load == status.LoadWarm
	})
	waitFor(t, "the notification", func() bool { return noted("Model pulled", want) })
	if code, body := ask(t, d.State().Translator.Addr, "claude-sonnet-4-5", "Hi there"); code != 200 || !strings.Contains(body, ollamatest.ReplyDefault) {
		t.Fatalf("the pulled model answered %d %s", code, body)
	}
	if reg.Requests.Load() == 0 {
		t.Error("Ollama downloaded nothing from the registry")
	}

	// A model the registry does not have.
	missing := reg.Model("no-such-model")
	if _, err := ac.StartPull(ctx, admin.PullRequest{Name: missing, Insecure: true}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the failed pull to end", func() bool { return pullOf(d.State(), missing).Done })
	if p := pullOf(d.State(), missing); !strings.HasPrefix(p.Err, "no such model") {
		t.Errorf("pull of a missing model ended %+v, want the error to say there is no such model", p)
	}
	waitFor(t, "the failure's notification", func() bool { return noted("Could not pull "+missing, "no such model") })

	// One whose blobs cannot be reached.
	down := ollamatest.StartRegistry(t, ol, "down", 1<<20+7, 0) // a layer of its own to download
	down.StorageDown.Store(true)
	if _, err := ac.StartPull(ctx, admin.PullRequest{Name: down.Model("down"), Insecure: true}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the broken pull to end", func() bool { return pullOf(d.State(), down.Model("down")).Done })
	if p := pullOf(d.State(), down.Model("down")); !strings.HasPrefix(p.Err, "network") {
		t.Errorf("pull from an unreachable store ended %+v, want the error to blame the network", p)
	}

	// A slow one, cancelled once the download is under way.
	slowModel := slow.Model("slow")
	if _, err := ac.StartPull(ctx, admin.PullRequest{Name: slowModel, Insecure: true}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the slow download to start", func() bool { return pullOf(d.State(), slowModel).Completed > 0 })
	if _, err := ac.StartPull(ctx, admin.PullRequest{Name: slowModel, Insecure: true}); err == nil {
		t.Error("a second pull of the same model started, want it refused while the first runs")
	}
	if err := ac.CancelPull(ctx, slowModel); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the cancelled pull to end", func() bool { return pullOf(d.State(), slowModel).Done })
	if p := pullOf(d.State(), slowModel); !p.Cancelled || p.Percent() >= 100 {
		t.Errorf("cancelled pull ended %+v", p)
	}
	tags, err := c.Tags(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range tags.Models {
		if m.Name == slowModel {
			t.Errorf("Ollama lists %s after its pull was cancelled", slowModel)
		}
	}
	if err := ac.CancelPull(ctx, slowModel); err == nil {
		t.Error("cancelling a pull that is not running succeeded")
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
