//go:build !unix

package daemon

// fileLimit is unknown here: Windows has no RLIMIT_NOFILE.
func fileLimit() int { return 0 }
