package notify

// systemSender sends as the app: from clawbridge.app (a build with cgo)
// through UNUserNotificationCenter, so notifications carry clawbridge's
// name and icon and clicking one opens clawbridge; otherwise (the bare
// binary, or a build without cgo) through osascript, whose notifications
// macOS files under Script Editor, with their silent drop detected.
func systemSender(icon []byte) func(title, message string) error {
	if send := bundleSender(); send != nil {
		return send
	}
	return osascriptSender("osascript", scriptEditorAllowed)
}
