package service

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLogDirFor(t *testing.T) {
	cases := []struct{ goos, home, xdgState, want string }{
		{"darwin", "/Users/ada", "/ignored", "/Users/ada/Library/Logs/clawbridge"},
		{"linux", "/home/ada", "", "/home/ada/.local/state/clawbridge"},
		{"linux", "/home/ada", "/var/state/ada", "/var/state/ada/clawbridge"},
		// The XDG specification says relative paths are to be ignored.
		{"linux", "/home/ada", "state", "/home/ada/.local/state/clawbridge"},
	}
	for _, c := range cases {
		if got := logDirFor(c.goos, c.home, c.xdgState); got != c.want {
			t.Errorf("logDirFor(%q, %q, %q) = %q, want %q", c.goos, c.home, c.xdgState, got, c.want)
		}
	}
}

func executableFile(t *testing.T, path string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

func TestAgentExecutable(t *testing.T) {
	// EvalSymlinks the root too: on macOS the temporary directory is itself
	// behind a symlink (/var -> /private/var).
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}

	// A plain symlink is resolved: the agent must not depend on it.
	real := executableFile(t, filepath.Join(root, "build", "clawbridge"))
	symlink(t, real, filepath.Join(root, "bin", "clawbridge"))

	// Homebrew: bin/clawbridge -> ../Cellar/clawbridge/1.2.0/bin/clawbridge,
	// and opt/clawbridge -> ../Cellar/clawbridge/1.2.0.
	brew := filepath.Join(root, "homebrew")
	keg := executableFile(t, filepath.Join(brew, "Cellar", "clawbridge", "1.2.0", "bin", "clawbridge"))
	symlink(t, "../Cellar/clawbridge/1.2.0/bin/clawbridge", filepath.Join(brew, "bin", "clawbridge"))
	symlink(t, "../Cellar/clawbridge/1.2.0", filepath.Join(brew, "opt", "clawbridge"))
	// A Cellar without the opt link (a half-removed install) keeps the keg path.
	orphan := executableFile(t, filepath.Join(brew, "Cellar", "other", "0.1", "bin", "clawbridge"))

	// An app bundle is taken as it is, even behind a symlink of its own.
	app := executableFile(t, filepath.Join(root, "Applications", "clawbridge.app", "Contents", "MacOS", "clawbridge"))
	symlink(t, filepath.Join(root, "Applications"), filepath.Join(root, "Apps"))
	appViaLink := filepath.Join(root, "Apps", "clawbridge.app", "Contents", "MacOS", "clawbridge")

	cases := []struct{ in, want string }{
		{real, real},
		{filepath.Join(root, "bin", "clawbridge"), real},
		{filepath.Join(brew, "bin", "clawbridge"), filepath.Join(brew, "opt", "clawbridge", "bin", "clawbridge")},
		{keg, filepath.Join(brew, "opt", "clawbridge", "bin", "clawbridge")},
		{orphan, orphan},
		{app, app},
		{appViaLink, appViaLink},
	}
	for _, c := range cases {
		got, err := agentExecutable(c.in)
		if err != nil || got != c.want {
			t.Errorf("agentExecutable(%s) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	if _, err := agentExecutable(filepath.Join(root, "missing")); err == nil {
		t.Error("a missing executable resolved without an error")
	}
	self, err := agentExecutable("")
	if err != nil || !filepath.IsAbs(self) {
		t.Errorf(`agentExecutable("") = %q, %v; want this test binary's absolute path`, self, err)
	}
}

func TestCheckExecutable(t *testing.T) {
	root := t.TempDir()
	good := executableFile(t, filepath.Join(root, "clawbridge"))
	goRun := executableFile(t, filepath.Join(root, "go-build2384", "b001", "exe", "clawbridge"))
	plain := filepath.Join(root, "notes.txt")
	if err := os.WriteFile(plain, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ path, want string }{
		{good, ""},
		{goRun, "go run"},
		{plain, "not an executable"},
		{root, "not an executable"},
		{filepath.Join(root, "gone"), "does not exist"},
	}
	for _, c := range cases {
		err := checkExecutable(c.path)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("checkExecutable(%s) = %v, want nil", c.path, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("checkExecutable(%s) = %v, want an error saying %q", c.path, err, c.want)
		}
	}
}
