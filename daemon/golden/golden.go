// Package golden is the golden-file check for tests: it compares a test's
// output with a file under testdata/, or rewrites that file when the tests
// run with -update. The -update flag is registered here, once, for every
// test binary that imports the package.
package golden

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ from the current output")

// maxShown is the size up to which a failure prints got and want whole;
// above it only the first differing line is shown, so a large file does
// not bury the test log.
const maxShown = 8 << 10

// Updating reports whether the tests run with -update, for a caller that
// has more to do than Check when golden files are being rewritten.
func Updating() bool { return *update }

// Check compares got with the golden file at path and fails t when they
// differ, saying where and that `go test -update` rewrites the file. Under
// -update it writes got to path instead, creating the file if missing.
func Check(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatalf("update golden file: %v", err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it)\n%s", path, describe(got, want))
	}
}

// describe says how got and want differ: the first differing line, and
// both whole texts when they are short enough to read in a test log.
func describe(got, want []byte) string {
	line, g, w := firstDiff(string(got), string(want))
	s := fmt.Sprintf("first difference at line %d:\n  got:  %q\n  want: %q", line, g, w)
	if len(got) <= maxShown && len(want) <= maxShown {
		s += fmt.Sprintf("\n--- got:\n%s\n--- want:\n%s", got, want)
	}
	return s
}

// firstDiff returns the 1-based number of the first line where got and
// want differ, and that line of each (with its newline; "" past the end).
func firstDiff(got, want string) (int, string, string) {
	gs, ws := strings.SplitAfter(got, "\n"), strings.SplitAfter(want, "\n")
	for i := range max(len(gs), len(ws)) {
		g, w := lineAt(gs, i), lineAt(ws, i)
		if g != w {
			return i + 1, g, w
		}
	}
	return 0, "", ""
}

func lineAt(lines []string, i int) string {
	if i < len(lines) {
		return lines[i]
	}
	return ""
}
