package config

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/clawbridge/clawbridge/patcher/atomicfile"
)

// writeConfig replaces the config at path with data through
// patcher/atomicfile, so the daemon reloading it, or a crash, never sees
// half a file. A symlinked config (dotfile managers do this) is written
// through: the link's target is replaced and the link stays. A config that
// holds a key (secret) ends up readable by its owner only; otherwise an
// existing file keeps its mode. A new file is 0600 either way.
func writeConfig(path string, data []byte, secret bool) error {
	real, err := realPath(path)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	atomicfile.CleanTemps(filepath.Dir(real), filepath.Base(real))
	if secret {
		return atomicfile.WritePrivate(real, data)
	}
	return atomicfile.WriteFile(real, data, 0o600)
}

// BackupSuffix names the copy of the config as it was before clawbridge's
// latest edit (a menu switch, a model choice), beside the config: the
// user's own version of the file is never more than one step away.
const BackupSuffix = ".bak"

// backupConfig keeps data, the config before an edit, in the backup file
// beside the file path leads to. It is readable by its owner only, as the
// config may hold a key.
func backupConfig(path string, data []byte) error {
	real, err := realPath(path)
	if err != nil {
		return fmt.Errorf("backup %s: %w", path, err)
	}
	if err := atomicfile.WritePrivate(real+BackupSuffix, data); err != nil {
		return fmt.Errorf("backup %s: %w", path, err)
	}
	return nil
}

// cleanTemps removes the temporary files an edit killed mid-write left
// beside the config path leads to. The daemon calls it when it starts
// (LoadOrCreate), so they go even when nothing writes the config again.
// Errors are ignored: a leftover harms nothing and goes next time.
func cleanTemps(path string) {
	if real, err := realPath(path); err == nil {
		atomicfile.CleanTemps(filepath.Dir(real), filepath.Base(real))
	}
}

// realPath is the file path leads to when it is a symlink, else path.
func realPath(path string) (string, error) {
	target, err := filepath.EvalSymlinks(path)
	switch {
	case err == nil:
		return target, nil
	case errors.Is(err, fs.ErrNotExist):
		return path, nil
	}
	return "", err
}
