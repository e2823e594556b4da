package doctor

// trayFix is how a Mac user gets the menu-bar icon: the tray is Cocoa
// through cgo, which needs Apple's C toolchain at build time.
const trayFix = "install Xcode's command line tools (xcode-select --install), then build again with cgo: " +
	"CGO_ENABLED=1 go install github.com/clawbridge/clawbridge/cmd/clawbridge@latest " +
	"(or install clawbridge.app, or brew install clawbridge/tap/clawbridge)"

// checkTrayBuild warns on macOS when this binary has no menu-bar icon:
// `go install` without Xcode's command line tools builds with cgo off
// (CGO_ENABLED=0), and such a build runs headless without saying why.
// Elsewhere the tray is always compiled in, and there is nothing to say.
func checkTrayBuild(goos string, compiledIn bool) (Check, bool) {
	if goos != "darwin" {
		return Check{}, false
	}
	if compiledIn {
		return Check{Name: "menu-bar icon", OK: true, Detail: "compiled in"}, true
	}
	return Check{Name: "menu-bar icon", OK: true, Warn: true,
		Detail: "this clawbridge was built without cgo (CGO_ENABLED=0), so it shows no menu-bar icon; the translator, patcher and guard work without it",
		Fix:    trayFix}, true
}
