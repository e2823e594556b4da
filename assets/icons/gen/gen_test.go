package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestCommittedIconsAreCurrent fails when someone edits the drawing but not
// the committed files (or the other way round); `go generate ./assets`
// brings them back in line.
func TestCommittedIconsAreCurrent(t *testing.T) {
	files, err := draw()
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join("..", name))
		if err != nil {
			t.Errorf("%s: %v (run go generate ./assets)", name, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from what gen draws (run go generate ./assets)", name)
		}
	}
	committed, err := filepath.Glob(filepath.Join("..", "*.*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range committed {
		if _, ok := files[filepath.Base(path)]; !ok {
			t.Errorf("%s is not drawn by gen; remove it or draw it", filepath.Base(path))
		}
	}
}
