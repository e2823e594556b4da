package daemon

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clawbridge/clawbridge/daemon/admin"
)

// TestRepatchNowTellsTheTruth drives the tray's "Re-patch now" through
// the action the tray is given, and the admin endpoint's /repatch beside
// it: each succeeds only when the look it runs
// leaves every catalog patched, and otherwise says why, in the cases a
// user meets: a catalog it cannot patch, no install at all, and the
// patcher switched off.
func TestRepatchNowTellsTheTruth(t *testing.T) {
	// No backend is needed: the address only has to parse.
	w := newWorld(t, "http://127.0.0.1:1", "")
	d := startDaemon(t, w, Options{RuntimeDir: filepath.Join(w.home, "run")})
	tray := d.RepatchNow // the action the tray is given
	ac, err := admin.Connect(filepath.Join(w.home, "run"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a hang guard only
	defer cancel()
	// repatch asks both ways and wants the same answer from each.
	repatch := func(ctx context.Context) error {
		errTray, errAdmin := tray(ctx), ac.Repatch(ctx)
		if fmt.Sprint(errTray) != fmt.Sprint(errAdmin) {
			t.Fatalf("the tray's action says %v, the admin endpoint %v", errTray, errAdmin)
		}
		return errTray
	}
	pointsAtTranslator := func() bool {
		data, _ := os.ReadFile(w.catalog)
		return strings.Contains(string(data), `baseUrl: "http://`+d.State().Translator.Addr+`"`) &&
			!strings.Contains(string(data), `baseUrl: "https://api.anthropic.com"`)
	}

	if err := repatch(ctx); err != nil {
		t.Fatalf("Re-patch now with one patchable install: %v", err)
	}
	if !pointsAtTranslator() {
		t.Fatal("Re-patch now succeeded but the catalog does not point at the translator")
	}

	t.Log("an install puts Anthropic's URLs back: the catalog is patched by the time the action returns")
	replaceFile(t, w.catalog, w.original)
	if err := repatch(ctx); err != nil {
		t.Fatalf("Re-patch now after a reinstall: %v", err)
	}
	if !pointsAtTranslator() {
		t.Fatal("Re-patch now returned before the catalog was patched")
	}

	t.Log("a catalog that cannot be patched: the error counts it and names it")
	replaceFile(t, w.catalog, w.original[:len(w.original)/3])
	err = repatch(ctx)
	t.Logf("answer: %v", err)
	if err == nil || !strings.Contains(err.Error(), "1 of 1 pi-ai installs not patched") || !strings.Contains(err.Error(), w.catalog) {
		t.Fatalf("Re-patch now with a half-written catalog = %v; want 1 of 1 not patched, naming %s", err, w.catalog)
	}

	t.Log("no install: the error names where it looked")
	if err := os.RemoveAll(filepath.Join(w.clawdbot, "node_modules")); err != nil {
		t.Fatal(err)
	}
	err = repatch(ctx)
	t.Logf("answer: %v", err)
	if err == nil || !strings.Contains(err.Error(), "no pi-ai install found in "+w.clawdbot) {
		t.Fatalf("Re-patch now without an install = %v; want no pi-ai install found in %s", err, w.clawdbot)
	}

	t.Log("the patcher off: the error says so and how to turn it on, and nothing is written")
	if err := d.SetToggle("auto_repatch", false); err != nil {
		t.Fatal(err)
	}
	mustMkdir(t, filepath.Dir(w.catalog))
	mustWrite(t, filepath.Join(filepath.Dir(w.catalog), "..", "package.json"), `{"name": "@mariozechner/pi-ai", "version": "0.49.3", "type": "module"}`)
	mustWrite(t, w.catalog, w.original)
	err = repatch(ctx)
	t.Logf("answer: %v", err)
	if err == nil || !strings.Contains(err.Error(), "the patcher is off") || !strings.Contains(err.Error(), "Re-apply patch after installs") {
		t.Fatalf("Re-patch now with the patcher off = %v; want the patcher is off", err)
	}
	if pointsAtTranslator() {
		t.Fatal("Re-patch now patched the catalog with the patcher off")
	}
}
