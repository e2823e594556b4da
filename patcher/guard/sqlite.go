package guard

import (
	"fmt"
	"path/filepath"
)

// The SQLite databases that replaced auth-profiles.json (OpenClaw's
// docs and dist): OpenClaw 2026.6 keeps the agent's auth store in
// <agentDir>/openclaw-agent.sqlite (table auth_profile_store); 2026.9
// keeps it in <state>/state/openclaw.sqlite (config_machine_state,
// "authProfiles.store"). Either file means the state directory has moved
// to SQLite: those releases read the JSON files only to migrate them
// (`openclaw doctor --fix`).
const (
	// AgentDatabase is the agent's database inside an agent directory.
	AgentDatabase = "openclaw-agent.sqlite"
	// StateDatabase is the state database, relative to the state
	// directory.
	StateDatabase = "state/openclaw.sqlite"
)

// sqliteStore returns the SQLite database the app reads instead of
// dir's auth-profiles.json, or "" when there is none: dir's agent
// database, or the state database of the state directory dir belongs to
// when dir is <state>/agents/<id>/agent. An agent directory set
// elsewhere (OPENCLAW_AGENT_DIR) has no state directory to look in.
func sqliteStore(dir string) string {
	if db := filepath.Join(dir, AgentDatabase); fileExists(db) {
		return db
	}
	if state, ok := stateDirOf(dir); ok {
		if db := filepath.Join(state, filepath.FromSlash(StateDatabase)); fileExists(db) {
			return db
		}
	}
	return ""
}

// stateDirOf returns <state> for an agent directory <state>/agents/<id>/agent.
func stateDirOf(dir string) (string, bool) {
	dir = filepath.Clean(dir)
	agents := filepath.Dir(filepath.Dir(dir))
	if filepath.Base(dir) != "agent" || filepath.Base(agents) != "agents" {
		return "", false
	}
	return filepath.Dir(agents), true
}

// sqliteNote says why the guard leaves a directory with a SQLite store
// alone, for events and status.
func sqliteNote(db string) string {
	return fmt.Sprintf("the app keeps its auth store in %s and does not read %s here; "+
		"wrote nothing: the local key has to come from the app's config", db, FileName)
}

// leftAlone turns ev into the SQLiteStore event for db.
func leftAlone(ev Event, db string) Event {
	ev.Kind = SQLiteStore
	ev.Changes = []string{sqliteNote(db)}
	return ev
}
