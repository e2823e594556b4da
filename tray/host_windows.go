package tray

// hostReady says whether a tray can run here: Windows always has a
// notification area for a logged-in user.
func hostReady() (note string, err error) { return "", nil }
