//go:build darwin && !cgo

package notify

// bundleSender is nil: without cgo there is no UNUserNotificationCenter,
// and notifications go through osascript.
func bundleSender() func(title, message string) error { return nil }
