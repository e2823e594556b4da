package admin

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/clawbridge/clawbridge/patcher/atomicfile"
)

// Runtime is what a running daemon publishes about itself in RuntimeFile,
// mode 0600, so that `clawbridge status` (run by the same user) can find
// and authenticate to its admin endpoint, and a second `run` can say who
// holds the lock.
type Runtime struct {
	PID     int       `json:"pid"`
	Admin   string    `json:"admin"` // host:port of the admin endpoint
	Token   string    `json:"token"` // bearer token for the admin endpoint
	Listen  string    `json:"listen,omitempty"`
	Config  string    `json:"config"`
	Version string    `json:"version"`
	Started time.Time `json:"started"`
}

// RuntimeFile is where the daemon for a config directory publishes its
// Runtime.
const RuntimeFile = "daemon.json"

// ReadRuntime reads the Runtime a daemon published in dir. It returns an
// error wrapping os.ErrNotExist when no daemon has published one.
func ReadRuntime(dir string) (*Runtime, error) {
	data, err := os.ReadFile(filepath.Join(dir, RuntimeFile))
	if err != nil {
		return nil, err
	}
	var rt Runtime
	if err := json.Unmarshal(data, &rt); err != nil {
		return nil, fmt.Errorf("read %s: %w", filepath.Join(dir, RuntimeFile), err)
	}
	return &rt, nil
}

// WriteRuntime publishes rt in dir, replacing the file atomically so that
// a reader never sees half of it.
func WriteRuntime(dir string, rt *Runtime) error {
	data, err := json.MarshalIndent(rt, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, RuntimeFile), append(data, '\n'), 0o600)
}
