//go:build linux

package tray

import "testing"

func TestMenuLabelKeepsUnderscores(t *testing.T) {
	if got := menuLabel("qwen3:32b · Q4_K_M"); got != "qwen3:32b · Q4__K__M" {
		t.Errorf("menuLabel = %q", got)
	}
}
