//go:build linux

package tray

import (
	"context"
	"testing"

	"github.com/clawbridge/clawbridge/tray/traytest"
)

// switchWarmup clicks Keep models warm on and off again, checking the
// check mark, what the child daemon was asked and the config it wrote.
func switchWarmup(t *testing.T, ctx context.Context, client *traytest.Client, child *child, cfgPath string) {
	t.Helper()
	if err := client.Click(ctx, labelWarmup); err != nil {
		t.Fatal(err)
	}
	child.expect(t, "toggle warmup true")
	if _, err := client.WaitFor(ctx, "warm-up checked", func(r *traytest.Item) bool { return r.Find(labelWarmup).Checked }); err != nil {
		t.Fatal(err)
	}
	if cfg := loadConfig(t, cfgPath); !cfg.WarmupOn() {
		t.Error("config does not have warm-up on")
	}
	commentsKept(t, cfgPath)
	if err := client.Click(ctx, labelWarmup); err != nil {
		t.Fatal(err)
	}
	child.expect(t, "toggle warmup false")
	if _, err := client.WaitFor(ctx, "warm-up unchecked", func(r *traytest.Item) bool { return !r.Find(labelWarmup).Checked }); err != nil {
		t.Fatal(err)
	}
	if cfg := loadConfig(t, cfgPath); cfg.WarmupOn() || cfg.Clawbridge.Models.Warmup == nil {
		t.Error("config does not have warm-up written off")
	}
}
