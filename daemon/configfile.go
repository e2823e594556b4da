package daemon

import (
	"context"
	"crypto/sha256"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/clawbridge/clawbridge/daemon/config"
	"github.com/clawbridge/clawbridge/patcher/fswatch"
)

// configFile is the config file as the daemon last read it: the config in
// force, and a hash of the file's bytes as last applied or rejected, so
// that an event that leaves its content as it was (the runtime file lives
// in the same directory) is not a reload.
type configFile struct {
	path string
	cfg  atomic.Pointer[config.Config]
	hash atomic.Value // [32]byte
}

func newConfigFile(path string, cfg *config.Config) *configFile {
	f := &configFile{path: path}
	f.cfg.Store(cfg)
	f.hash.Store(fileHash(path))
	return f
}

// current is the config in force.
func (f *configFile) current() *config.Config { return f.cfg.Load() }

// load reads the file again; a config that loads is put in force, one
// that does not leaves the previous one there.
func (f *configFile) load() (*config.Config, error) {
	f.hash.Store(fileHash(f.path))
	cfg, err := config.Load(f.path)
	if err != nil {
		return nil, err
	}
	f.cfg.Store(cfg)
	return cfg, nil
}

// watch calls changed whenever the file's content differs from what was
// last read, until ctx ends.
func (f *configFile) watch(ctx context.Context, log *slog.Logger, changed func()) {
	w, err := fswatch.New(200*time.Millisecond, func(string) {
		if fileHash(f.path) != f.hash.Load().([32]byte) {
			changed()
		}
	})
	if err != nil {
		log.Warn("config changes will need a restart: cannot watch the config directory", "err", err)
		return
	}
	if err := w.Add(filepath.Dir(f.path)); err != nil {
		log.Warn("config changes will need a restart: cannot watch the config directory", "err", err)
	}
	w.Run(ctx)
}

func fileHash(path string) [32]byte {
	data, err := os.ReadFile(path)
	if err != nil {
		return [32]byte{}
	}
	return sha256.Sum256(data)
}
