package ollamatest

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// CaptureDir is where recorded answers live, relative to the test's
// package directory.
var CaptureDir = filepath.Join("testdata", "streams")

// Capture is one answer recorded from the real Ollama: the request Body,
// and the Name of its file, CaptureDir/<Name>.http. The files seed the
// stream parsers' fuzzers and are replayed by their tests, so parsing is
// checked against what Ollama really sends without Ollama running.
type Capture struct {
	Name, Body string
}

// Record posts each capture's body to path on the real Ollama and writes
// the file: the status code on the first line, then the body exactly as
// Ollama sent it. Tests call it only when asked to re-record (-capture).
func Record(t *testing.T, path string, captures []Capture) {
	t.Helper()
	s := Start(t)
	if err := os.MkdirAll(CaptureDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range captures {
		resp, err := http.Post(s.URL+path, "application/json", strings.NewReader(c.Body))
		if err != nil {
			t.Fatalf("capture %s: %v", c.Name, err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("capture %s: %v", c.Name, err)
		}
		out := append([]byte(fmt.Sprintf("%d\n", resp.StatusCode)), body...)
		if err := os.WriteFile(filepath.Join(CaptureDir, c.Name+".http"), out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// ReadCapture returns a recorded answer's status code and body.
func ReadCapture(t testing.TB, name string) (int, []byte) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(CaptureDir, name+".http"))
	if err != nil {
		t.Fatalf("%v (record it with go test -run TestCaptureStreams -capture)", err)
	}
	first, body, _ := bytes.Cut(data, []byte("\n"))
	var status int
	if _, err := fmt.Sscan(string(first), &status); err != nil {
		t.Fatalf("%s: status line %q: %v", name, first, err)
	}
	return status, body
}
