// Package peers is, for tests, what happens when a real peer that `make
// provision` installs (Ollama, Node, Clawdbot, OpenClaw, clang, DBus,
// Prometheus…) is missing: the test is skipped, unless
// CLAWBRIDGE_REQUIRE_PEERS is set, as `make test` sets it, when it fails,
// so that a CI run cannot pass by skipping.
package peers

import (
	"os"
	"testing"
)

// EnvRequire is the variable that turns a missing peer into a failure.
const EnvRequire = "CLAWBRIDGE_REQUIRE_PEERS"

// Required reports whether missing peers fail tests.
func Required() bool { return os.Getenv(EnvRequire) != "" }

// Missing skips t, or fails it when peers are required; msg says what is
// missing and how to get it.
func Missing(t testing.TB, msg string) {
	t.Helper()
	if Required() {
		t.Fatalf("%s (%s is set, so this is a failure; run `make provision`)", msg, EnvRequire)
	}
	t.Skipf("%s; run `make provision` and source its peers.env, or set %s=1 to make this a failure", msg, EnvRequire)
}
