package golden

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// recorder is a testing.TB that keeps its failures instead of reporting
// them; Fatalf ends the goroutine, as the real one does.
type recorder struct {
	testing.TB
	errors, fatals []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.fatals = append(r.fatals, fmt.Sprintf(format, args...))
	runtime.Goexit()
}

// check runs Check against a recorder in its own goroutine, so a Fatalf
// ends only that goroutine.
func check(t *testing.T, path string, got []byte) *recorder {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		Check(r, path, got)
	}()
	<-done
	return r
}

// withUpdate runs f with -update set to on, and restores it afterwards.
func withUpdate(on bool, f func()) {
	old := *update
	*update = on
	defer func() { *update = old }()
	f()
}

func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCheckEqual(t *testing.T) {
	path := writeFile(t, "same.txt", "one\ntwo\n")
	withUpdate(false, func() {
		if r := check(t, path, []byte("one\ntwo\n")); len(r.errors)+len(r.fatals) != 0 {
			t.Errorf("equal content failed: %q %q", r.errors, r.fatals)
		}
	})
}

func TestCheckDifferent(t *testing.T) {
	path := writeFile(t, "differs.txt", "one\ntwo\n")
	var r *recorder
	withUpdate(false, func() { r = check(t, path, []byte("one\nTWO\n")) })
	if len(r.errors) != 1 || len(r.fatals) != 0 {
		t.Fatalf("errors %q fatals %q, want one error", r.errors, r.fatals)
	}
	msg := r.errors[0]
	for _, want := range []string{path, "go test -update rewrites it", `line 2`, `"TWO\n"`, `"two\n"`, "--- got:\none\nTWO\n", "--- want:\none\ntwo\n"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
}

func TestCheckDifferentLarge(t *testing.T) {
	big := strings.Repeat("a line of a large golden file\n", maxShown/10)
	path := writeFile(t, "large.txt", big+"end\n")
	var r *recorder
	withUpdate(false, func() { r = check(t, path, []byte(big+"END\n")) })
	if len(r.errors) != 1 {
		t.Fatalf("errors %q, want one", r.errors)
	}
	msg := r.errors[0]
	if !strings.Contains(msg, `got:  "END\n"`) || !strings.Contains(msg, `want: "end\n"`) {
		t.Errorf("message lacks the differing line:\n%.300s", msg)
	}
	if strings.Contains(msg, "--- got:") || len(msg) > 1000 {
		t.Errorf("message of %d bytes prints the whole file", len(msg))
	}
}

func TestCheckMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing.txt")
	var r *recorder
	withUpdate(false, func() { r = check(t, path, []byte("x")) })
	if len(r.fatals) != 1 || !strings.Contains(r.fatals[0], "run go test -update to create it") {
		t.Errorf("fatals %q, want one asking for -update", r.fatals)
	}
}

func TestCheckUpdate(t *testing.T) {
	created := filepath.Join(t.TempDir(), "new.txt")
	rewritten := writeFile(t, "old.txt", "stale\n")
	withUpdate(true, func() {
		if !Updating() {
			t.Error("Updating() false under -update")
		}
		for _, path := range []string{created, rewritten} {
			if r := check(t, path, []byte("fresh\n")); len(r.errors)+len(r.fatals) != 0 {
				t.Errorf("%s: update failed: %q %q", path, r.errors, r.fatals)
			}
		}
	})
	for _, path := range []string{created, rewritten} {
		if b, err := os.ReadFile(path); err != nil || string(b) != "fresh\n" {
			t.Errorf("%s after update: %q %v", path, b, err)
		}
		withUpdate(false, func() {
			if r := check(t, path, []byte("fresh\n")); len(r.errors)+len(r.fatals) != 0 {
				t.Errorf("%s: check after update failed: %q %q", path, r.errors, r.fatals)
			}
		})
	}
}

func TestFirstDiff(t *testing.T) {
	for _, c := range []struct {
		got, want string
		line      int
	}{
		{"a\nb\n", "a\nc\n", 2},
		{"a\n", "a\nb\n", 2},
		{"a", "a\n", 1},
		{"", "x", 1},
	} {
		if line, _, _ := firstDiff(c.got, c.want); line != c.line {
			t.Errorf("firstDiff(%q, %q) line %d, want %d", c.got, c.want, line, c.line)
		}
	}
}
