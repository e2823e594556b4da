//go:build !linux

package tray

// menuLabel is a title as the menu shows it: macOS and Windows menus take
// it as it is.
func menuLabel(title string) string { return title }
