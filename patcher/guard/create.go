package guard

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// mayCreate says what the guard may create for dir when it is missing:
// the agent directory itself, and auth-profiles.json inside it; create is
// Options.Create.
func mayCreate(create func(string) bool, dir string) (mkdir, mkfile bool) {
	if create == nil {
		return false, true
	}
	c := create(dir)
	return c, c
}

// makeAgentDir creates dir and its missing parents private to the user,
// as Clawdbot and OpenClaw create their state and agent directories
// (mkdirSync with recursive and mode 0o700).
func makeAgentDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("guard: create agent directory: %w", err)
	}
	return nil
}

// isDir reports whether path is a directory (following symlinks).
func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

// fileExists reports whether anything, even a dangling symlink, is at
// path; an error other than "does not exist" counts as present, so that
// the read that follows reports it.
func fileExists(path string) bool {
	_, err := os.Lstat(path)
	return !errors.Is(err, fs.ErrNotExist)
}
