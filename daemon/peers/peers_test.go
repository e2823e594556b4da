package peers

import (
	"runtime"
	"strings"
	"testing"
)

// recorder is a testing.TB that records how Missing ended the test.
type recorder struct {
	testing.TB
	failed, skipped bool
	msg             string
}

func (r *recorder) Helper() {}

// Fatalf and Skipf end the calling goroutine, as testing's do.
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed, r.msg = true, format
	runtime.Goexit()
}
func (r *recorder) Skipf(format string, args ...any) {
	r.skipped, r.msg = true, format
	runtime.Goexit()
}

// TestMissing: a missing peer skips, or fails when peers are required.
func TestMissing(t *testing.T) {
	for _, required := range []bool{false, true} {
		if required {
			t.Setenv(EnvRequire, "1")
		} else {
			t.Setenv(EnvRequire, "")
		}
		r := &recorder{TB: t}
		done := make(chan struct{})
		go func() {
			defer close(done)
			Missing(r, "no ollama")
		}()
		<-done
		if r.failed != required || r.skipped == required || !strings.Contains(r.msg, "make provision") {
			t.Errorf("required=%v: failed=%v skipped=%v msg %q", required, r.failed, r.skipped, r.msg)
		}
	}
}
