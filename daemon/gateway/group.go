package gateway

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/clawbridge/clawbridge/patcher/atomicfile"
)

// GroupFile is the file in the runtime directory that records the running
// gateway's process group while the daemon supervises it. The gateway
// runs in a group of its own, which launchd does not kill with the
// daemon's job: after a crash, a SIGKILL or a logout it would keep its
// port, and the next daemon's gateway would fail on "address in use". The
// next daemon reads the file at start and stops that group (KillStale).
const GroupFile = "gateway-group.json"

// group is GroupFile's content: enough to tell the recorded process from
// an unrelated one that reuses its pid later.
type group struct {
	// PGID is the gateway's process group: its leader's pid.
	PGID int `json:"pgid"`
	// Started is the leader's start time as the system reports it
	// (procStart), which differs for any later process with the same pid.
	Started string `json:"started"`
	// Argv is the command line, for the log.
	Argv []string `json:"argv"`
	// Daemon is the pid of the daemon that started it.
	Daemon int `json:"daemon"`
}

// recordGroup writes GroupFile for a gateway just started as pid (the
// leader of its own group) in dir; "" dir records nothing.
func recordGroup(dir string, pid int, argv []string) error {
	if dir == "" {
		return nil
	}
	started, err := procStart(pid)
	if err != nil {
		return fmt.Errorf("record gateway group: %w", err)
	}
	data, err := json.Marshal(group{PGID: pid, Started: started, Argv: argv, Daemon: os.Getpid()})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("record gateway group: %w", err)
	}
	return atomicfile.WriteFile(filepath.Join(dir, GroupFile), append(data, '\n'), 0o600)
}

// forgetGroup removes GroupFile once the gateway has stopped.
func forgetGroup(dir string) {
	if dir != "" {
		os.Remove(filepath.Join(dir, GroupFile))
	}
}

// KillStale stops the gateway a previous daemon left running, as
// recorded in dir's GroupFile, and removes the file. Call it while
// holding the daemon's instance lock, so the record cannot belong to a
// daemon still running. It signals the group only when its leader is the
// very process recorded (same pid and start time): a pid reused by an
// unrelated program is left alone. It reports whether it stopped one.
func KillStale(dir string, log *slog.Logger) (bool, error) {
	path := filepath.Join(dir, GroupFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read %s: %w", path, err)
	}
	defer os.Remove(path)
	var g group
	if err := json.Unmarshal(data, &g); err != nil || g.PGID <= 1 || g.Started == "" {
		return false, fmt.Errorf("%s is not a gateway record (%v); removed it", path, err)
	}
	started, err := procStart(g.PGID)
	switch {
	case err != nil:
		return false, nil // the leader is gone
	case started != g.Started:
		log.Info("gateway: the recorded gateway is gone; its pid now belongs to another process, left alone",
			"pid", g.PGID, "recorded_start", g.Started, "start", started)
		return false, nil
	}
	log.Warn("gateway: stopping the gateway a previous clawbridge left running", "pgid", g.PGID, "argv", g.Argv, "daemon", g.Daemon)
	if err := stopGroup(g.PGID, stopGrace); err != nil {
		return false, fmt.Errorf("stop the stale gateway (process group %d): %w", g.PGID, err)
	}
	return true, nil
}

// stopGroup sends pgid SIGTERM, and SIGKILL if any of it is left after
// grace; it returns once the group is gone.
func stopGroup(pgid int, grace time.Duration) error {
	if err := signalGroup(pgid, false); err != nil {
		return err
	}
	deadline := time.Now().Add(grace)
	for groupExists(pgid) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if !groupExists(pgid) {
		return nil
	}
	if err := signalGroup(pgid, true); err != nil {
		return err
	}
	for end := time.Now().Add(grace); groupExists(pgid); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(end) {
			return fmt.Errorf("process group %d survives SIGKILL", pgid)
		}
	}
	return nil
}
