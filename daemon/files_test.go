//go:build unix

package daemon

import (
	"testing"
)

// TestStateCountsFiles: a running daemon reports its watches (the config
// directory at least) and open files against a known limit.
func TestStateCountsFiles(t *testing.T) {
	w := newWorld(t, "http://127.0.0.1:1", "")
	d := startDaemon(t, w, Options{})
	var f = d.State().Files
	waitFor(t, "the config watch counted", func() bool { f = d.State().Files; return f.Watched > 0 })
	if f.Open <= 0 || f.Limit < f.Open {
		t.Errorf("files %+v: want open descriptors counted under the limit", f)
	}
}
