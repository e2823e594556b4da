//go:build !darwin

package service

// readXattr finds no quarantine attribute: only macOS sets one, and the
// launchd platform that asks is only used there (tests pass their own).
func readXattr(string, string) ([]byte, bool, error) { return nil, false, nil }
