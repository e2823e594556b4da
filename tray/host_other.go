//go:build (darwin && cgo) || windows

package tray

// hostReady says whether a tray can run here: macOS and Windows always
// have a menu bar or notification area for a logged-in user.
func hostReady() (note string, err error) { return "", nil }
